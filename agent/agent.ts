/**
 * `imagectl agent`: owns the store, runs the reconciler and serves the local API on a unix socket
 * (mode 0600, in a directory that is not world-writable).
 */
import { chmodSync, existsSync, mkdirSync, statSync, unlinkSync } from 'node:fs';
import http from 'node:http';
import { dirname } from 'node:path';
import pino from 'pino';
import { join } from 'node:path';
import type { PullPolicy } from '../crd/workload.js';
import type { ArchiveStore } from '../controller/archives.js';
import { dockerFromHost } from '../controller/docker.js';
import { WorkloadExecutor } from '../controller/workloads.js';
import { Reconciler } from '../controller/reconciler.js';
import { Store, StoreLockedError } from '../store/store.js';
import { buildApi } from './api.js';
import { probeSocket } from './probe.js';

export interface AgentOptions {
  stateDir: string;
  socket: string;
  nodeLabels: Record<string, string>;
  intervalMs: number;
  dockerHost?: string;
  logLevel?: string;
  /** default imagePullPolicy of Workloads */
  defaultPullPolicy?: PullPolicy;
  /** extra directories that Workload `archive:` paths may point into (besides <state-dir>/archives) */
  archiveDirs?: string[];
  validate: (objects: unknown[]) => string[];
}

export class AgentStartError extends Error {}

export interface RunningAgent {
  stop(): Promise<void>;
  reconciler: Reconciler;
}

export async function startAgent(o: AgentOptions): Promise<RunningAgent> {
  const log = pino({ level: o.logLevel ?? 'info', base: { pid: process.pid } }, pino.destination(2));
  mkdirSync(o.stateDir, { recursive: true, mode: 0o700 });
  mkdirSync(dirname(o.socket), { recursive: true, mode: 0o700 });
  if ((statSync(dirname(o.socket)).mode & 0o002) !== 0) {
    throw new AgentStartError(`the socket directory ${dirname(o.socket)} is world-writable; choose another --socket`);
  }
  // another agent answering on the socket: leave it alone
  const live = await probeSocket(o.socket);
  if (live) throw new AgentStartError(`another imagectl agent (pid ${live.pid}) is already serving ${o.socket} for ${live.stateDir}`);

  let store: Store;
  try {
    store = await Store.open(o.stateDir);
  } catch (err) {
    if (err instanceof StoreLockedError) throw new AgentStartError(err.message);
    throw err;
  }
  const docker = dockerFromHost(o.dockerHost);
  const archives: ArchiveStore = { cacheDir: join(o.stateDir, 'cache', 'archives'), roots: [join(o.stateDir, 'archives'), ...(o.archiveDirs ?? [])] };
  mkdirSync(archives.roots[0]!, { recursive: true, mode: 0o700 });
  const workloads = new WorkloadExecutor({ docker, defaultPullPolicy: o.defaultPullPolicy ?? 'Always', archives, now: Date.now });
  const reconciler = new Reconciler({ docker, store, nodeLabels: o.nodeLabels, intervalMs: o.intervalMs, log, workloads, archives });
  const api = buildApi({ store, reconciler, nodeLabels: o.nodeLabels, validate: o.validate, stateDir: o.stateDir, docker, archives });
  const server = http.createServer((req, res) => void api.handle(req, res));
  server.keepAliveTimeout = 5_000;

  // the socket is stale (nobody answered): replace it
  if (existsSync(o.socket)) unlinkSync(o.socket);
  const oldMask = process.umask(0o177);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(o.socket, () => resolve());
    });
  } finally {
    process.umask(oldMask);
  }
  chmodSync(o.socket, 0o600);
  log.info({ socket: o.socket, stateDir: o.stateDir, nodeLabels: o.nodeLabels, intervalMs: o.intervalMs }, 'agent started');

  await reconciler.start();

  let stopping: Promise<void> | null = null;
  const stop = () =>
    (stopping ??= (async () => {
      log.info({}, 'agent stopping');
      await reconciler.stop();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await store.close();
      try {
        unlinkSync(o.socket);
      } catch {
        // already gone
      }
    })());
  return { stop, reconciler };
}
