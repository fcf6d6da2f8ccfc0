/**
 * The agent's local HTTP API (served on a unix socket, mode 0600). Every CLI command but `agent`
 * is a client of it; the CLI never opens the store.
 */
import { VERSION } from '../../crd/api/version.js';
import type { ApiDeps } from '../service/deps.js';
import { Router, type RouterOptions } from './http.js';
import { imageRoutes } from './routes/images.js';
import { manageRoutes } from './routes/manage.js';
import { objectRoutes } from './routes/objects.js';
import { workloadRoutes } from './routes/workloads.js';
import { watchRoutes } from './routes/watch.js';

export type { ApiDeps } from '../service/deps.js';

export function buildApi(d: ApiDeps, opts: RouterOptions = {}): Router {
  const r = new Router(opts);
  r.on('GET', '/v1/health', async () => {
    const s = d.reconciler.snapshot();
    return {
      kind: 'Health', version: VERSION, pid: process.pid, stateDir: d.stateDir, nodeLabels: d.nodeLabels,
      engine: s.engine, passes: s.passes, lastPass: s.lastPass,
      nextDueAt: s.nextDueAt === null ? null : new Date(s.nextDueAt).toISOString(),
      // safe mode: the store takes no writes, nothing is removed
      safeMode: s.safeMode,
      passStats: s.passStats,
      clock: { now: new Date(s.now).toISOString(), wallSkewMs: Date.now() - s.now },
      // the --manifests watch: its directory, last apply and last error
      ...(d.watch ? { manifests: d.watch.status() } : {}),
    };
  });
  imageRoutes(r, d);
  objectRoutes(r, d);
  workloadRoutes(r, d);
  manageRoutes(r, d);
  watchRoutes(r, d);
  return r;
}
