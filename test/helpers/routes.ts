/** Route modules of the agent's API served alone, on a unix socket in a temp dir, over a real Store. */
import http from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Router } from '../../controller/api/http.js';
import { Store } from '../../controller/store/store.js';

export interface ServedRoutes {
  store: Store;
  sock: string;
  close(): Promise<void>;
}

/** Open a Store in a temp dir; `serve` registers routes on a Router that then answers on a socket. */
export async function serveRoutes(prefix: string): Promise<ServedRoutes & { serve(register: (r: Router, store: Store) => void): Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const store = await Store.open(dir);
  const sock = join(dir, 'api.sock');
  let server: http.Server | undefined;
  return {
    store,
    sock,
    async serve(register) {
      const router = new Router();
      register(router, store);
      server = http.createServer((req, res) => void router.handle(req, res, 'test'));
      await new Promise<void>((r) => server!.listen(sock, r));
    },
    async close() {
      if (server) await new Promise<void>((r) => server!.close(() => r()));
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
