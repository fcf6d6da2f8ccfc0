import http from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import type { StoredObject } from '../../store/store.js';
import { serveRoutes } from '../../../test/helpers/routes.js';
import type { ApiDeps } from '../../service/deps.js';
import { workloadRoutes } from './workloads.js';

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

function post(sock: string, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request({ socketPath: sock, method: 'POST', path }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('POST /v1/workloads/:name/refresh', () => {
  it('concurrent refreshes each count: read, raise and write run one at a time', async () => {
    const served = await serveRoutes('imagectl-refresh-');
    cleanup.push(() => served.close());
    const { store, sock } = served;
    const w: StoredObject = {
      apiVersion: 'imagectl.dev/v1alpha1', kind: 'Workload',
      metadata: { name: 'web', uid: 'web-1', generation: 1, creationTimestamp: new Date(0).toISOString() },
      spec: { image: 'localhost:5000/app:1' },
    };
    await store.commit({ putObjects: [w] });
    // a pass per refresh, slow enough for the requests to overlap
    const reconciler = { snapshot: () => ({ statuses: new Map() }), desiredChanged: () => new Promise((r) => setTimeout(r, 20)) };
    await served.serve((r) => workloadRoutes(r, { store, reconciler } as unknown as ApiDeps));

    const codes = await Promise.all(Array.from({ length: 6 }, () => post(sock, '/v1/workloads/web/refresh')));
    expect(codes).toEqual([200, 200, 200, 200, 200, 200]);
    const after = await store.getObject('Workload', 'web');
    expect((after!.spec as { refreshImage?: number }).refreshImage).toBe(6);
    expect(after!.metadata.generation).toBe(7);
    expect(await post(sock, '/v1/workloads/nope/refresh')).toBe(404);
  });
});
