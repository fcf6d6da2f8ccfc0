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
  const rec = d.reconciler;
  r.on('GET', '/v1/health', async () => ({
    kind: 'Health', version: VERSION, pid: process.pid, stateDir: d.stateDir, nodeLabels: d.nodeLabels,
    engine: rec.engine, passes: rec.passes, lastPass: rec.lastPass,
    nextDueAt: rec.nextDueAt === null ? null : new Date(rec.nextDueAt).toISOString(),
    // safe mode: the store takes no writes, nothing is removed
    safeMode: rec.safeMode,
    passStats: rec.stats,
    clock: { now: new Date(rec.now()).toISOString(), wallSkewMs: Date.now() - rec.now() },
    // the --manifests watch: its directory, last apply and last error
    ...(d.watch ? { manifests: d.watch.status() } : {}),
  }));
  imageRoutes(r, d);
  objectRoutes(r, d);
  workloadRoutes(r, d);
  manageRoutes(r, d);
  watchRoutes(r, d);
  return r;
}
