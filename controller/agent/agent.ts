/**
 * `imagectl agent`: owns the store, runs the reconciler and serves the local API on a unix socket
 * (mode 0600, or 0660 with --socket-group, in a directory that is not world-writable), and on TCP
 * only when asked (--listen, with a bearer token). A store that cannot be opened or read completely
 * stops the start with a clear message (see `--repair`); every mutating API call is audited.
 */
import { mkdirSync, readFileSync, unlinkSync } from 'node:fs';
import http from 'node:http';
import { dirname } from 'node:path';
import { join } from 'node:path';
import type { PullPolicy } from '../../crd/workload/type.js';
import type { ArchiveStore } from '../effects/archives.js';
import { EngineConfigError } from '../engine/host.js';
import { openEngine } from '../engine/startup.js';
import { WorkloadExecutor } from '../workloads/executor.js';
import { Reconciler } from '../reconcile/reconciler.js';
import { agentClock, restartFloor, systemMono } from './clock.js';
import { createLog, isLevel, LEVELS, type Log } from './log.js';
import type { ApiDeps } from '../service/deps.js';
import { Store, StoreDamagedError, StoreLockedError } from '../store/store.js';
import { buildApi } from '../api/api.js';
import { callRecord } from '../api/audit-calls.js';
import { ListenError, listenTcp, listenUnix, prepareSocketPath } from './listeners.js';
import { ManifestWatch } from '../manifests/watch.js';
import { AgentMetrics } from '../metrics/metrics.js';
import { MetricsEndpoints } from './metrics-listener.js';
import type { FleetAuth } from '../fleet/connect.js';

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
  /** make the socket 0660 and owned by this group (name or gid) instead of 0600 */
  socketGroup?: string;
  /** `HOST:PORT`: also serve the API on TCP (needs tokenFile) */
  listen?: string;
  tokenFile?: string;
  /** request body cap, bytes (default 8 MiB) */
  maxBodyBytes?: number;
  /** the node's Open Horizon constraints, matched against policy properties */
  nodeConstraints?: string[];
  /** `--manifests DIR`: apply this directory (with prune for its own applyset) at start and on every change */
  manifestsDir?: string;
  /** `HOST:PORT`: serve Prometheus metrics there (only /metrics); off by default */
  metricsListen?: string;
  /** a bearer token for the metrics port (mode 0600, at least 16 characters) */
  metricsTokenFile?: string;
  /** `--fleet URL --node-name NAME`: follow the fleet's hub as this node (controller/fleet/device.ts) */
  fleet?: { auth: FleetAuth; node: string };
}

export class AgentStartError extends Error {}

function bootIdNow(): string {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  } catch {
    return 'unknown';
  }
}

export interface RunningAgent {
  stop(): Promise<void>;
  reconciler: Reconciler;
}

export async function startAgent(o: AgentOptions): Promise<RunningAgent> {
  const log = await prepare(o);
  // a DOCKER_HOST or TLS setting that cannot work stops the start; an engine that is down does not
  const docker = await openEngine(o.dockerHost).catch((err: unknown) => Promise.reject(err instanceof EngineConfigError ? new AgentStartError(err.message) : err));
  const store = await openStore(o.stateDir);
  const bootId = bootIdNow();
  const clock = agentClock(restartFloor(await store.latestTime(), await store.clockAnchor(), { mono: systemMono(), bootId }));
  // the next run (same boot) carries this clock forward; a store that takes no write is found out by the first pass
  await store.putClockAnchor({ at: clock.now(), mono: systemMono(), bootId }).catch(() => undefined);
  const archives: ArchiveStore = { cacheDir: join(o.stateDir, 'cache', 'archives'), roots: [join(o.stateDir, 'archives'), ...(o.archiveDirs ?? [])] };
  mkdirSync(archives.roots[0]!, { recursive: true, mode: 0o700 });
  const defaultPullPolicy = o.defaultPullPolicy ?? 'Always';
  const workloads = new WorkloadExecutor({ docker, defaultPullPolicy, archives, now: clock.now });
  // the metrics read the reconciler's snapshot, and the reconciler tells them about every pass
  let metrics: AgentMetrics | undefined;
  const reconciler = new Reconciler({ docker, store, nodeLabels: o.nodeLabels, nodeConstraints: o.nodeConstraints, intervalMs: o.intervalMs, log, workloads, archives, now: clock.now, onPass: (p) => metrics?.onPass(p) });
  metrics = new AgentMetrics(() => reconciler.snapshot(), store, docker, clock.now());
  const watch = o.manifestsDir ? new ManifestWatch({ dir: o.manifestsDir, pollMs: o.intervalMs, log }) : undefined;
  const deps: ApiDeps = { store, reconciler, nodeLabels: o.nodeLabels, nodeConstraints: o.nodeConstraints, validate: o.validate, stateDir: o.stateDir, docker, archives, defaultPullPolicy, watch };
  const servers = await serve(o, deps, log, clock.now, metrics);
  try {
    log.info({ socket: o.socket, stateDir: o.stateDir, nodeLabels: o.nodeLabels, intervalMs: o.intervalMs, clock: new Date(clock.startedAt).toISOString() }, 'agent started');
    await reconciler.start();
  } catch (err) {
    await servers.close();
    throw new AgentStartError(`the agent could not start: ${(err as Error).message}; nothing was removed`);
  }
  await watch?.start(deps);
  // the fleet client loads only on a device of a fleet; the agent never waits for the hub
  const device = o.fleet ? await (await import('../fleet/start.js')).startDevice(o.fleet, deps, log, o.socket) : undefined;

  let stopping: Promise<void> | null = null;
  const stop = () =>
    (stopping ??= (async () => {
      log.info({}, 'agent stopping');
      await watch?.stop();
      await device?.stop();
      await servers.close();
    })());
  return { stop, reconciler };
}

/** Check the options, make the directories and free the socket path; returns the log. */
async function prepare(o: AgentOptions): Promise<Log> {
  const level = o.logLevel ?? 'info';
  if (!isLevel(level)) throw new AgentStartError(`unknown log level ${JSON.stringify(level)}: use one of ${Object.keys(LEVELS).join(', ')}`);
  const log = createLog(level);
  mkdirSync(o.stateDir, { recursive: true, mode: 0o700 });
  mkdirSync(dirname(o.socket), { recursive: true, mode: 0o700 });
  if (o.listen && !o.tokenFile) throw new AgentStartError('--listen needs --token-file: the TCP API never runs without a token');
  try {
    await prepareSocketPath(o.socket, o.stateDir);
  } catch (err) {
    if (err instanceof ListenError) throw new AgentStartError(err.message);
    throw err;
  }
  return log;
}

/** Open the store and read it completely: a store that cannot be read completely is not acted on. */
async function openStore(stateDir: string): Promise<Store> {
  let store: Store;
  try {
    store = await Store.open(stateDir);
  } catch (err) {
    if (err instanceof StoreLockedError || err instanceof StoreDamagedError) throw new AgentStartError(err.message);
    throw new AgentStartError(`${(err as Error).message}; nothing was removed`);
  }
  try {
    await store.verify();
  } catch (err) {
    await store.close();
    throw new AgentStartError((err as Error).message);
  }
  return store;
}

const closeServer = (s: http.Server) => new Promise<void>((resolve) => {
  s.close(() => resolve());
  s.closeAllConnections();
});

/**
 * Serve the API on the unix socket (and TCP when asked). `close` stops the loop, closes the
 * listeners and the store and removes the socket (a start that failed, or stop).
 */
async function serve(o: AgentOptions, deps: ApiDeps, log: Log, now: () => number, metrics: AgentMetrics): Promise<{ close(): Promise<void> }> {
  const api = buildApi(deps, {
    maxBodyBytes: o.maxBodyBytes,
    now,
    onMutation: async (c) => {
      const r = callRecord(c);
      log.info({ event: r.event, actor: r.actor, outcome: r.to, image: r.image, reason: r.reason }, 'api call');
      await deps.store.commit({ audit: [r] });
    },
  });
  const endpoints = new MetricsEndpoints(metrics, api, o, log);
  let socketActor = 'unknown';
  const server = http.createServer((req, res) => void api.handle(req, res, socketActor));
  server.keepAliveTimeout = 5_000;
  let tcp: http.Server | undefined;
  const close = async () => {
    await deps.reconciler.stop();
    await closeServer(server);
    if (tcp) await closeServer(tcp);
    await endpoints.close();
    await deps.store.close();
    try {
      unlinkSync(o.socket);
    } catch {
      // not created, or already gone
    }
  };
  try {
    socketActor = await listenUnix(server, o.socket, o.socketGroup);
    if (o.listen) {
      const t = await listenTcp(o.listen, o.tokenFile, (req, res, actor) => void api.handle(req, res, actor));
      tcp = t.server;
      log.warn({ address: t.address }, 'the API also listens on TCP; every request needs the bearer token');
    }
    await endpoints.listen();
  } catch (err) {
    await close();
    if (err instanceof ListenError || err instanceof AgentStartError) throw new AgentStartError(err.message);
    throw new AgentStartError(`the agent could not start: ${(err as Error).message}; nothing was removed`);
  }
  return { close };
}
