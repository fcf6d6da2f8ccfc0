/**
 * Hollow agents (kubemark's hollow nodes), many in one process: each is the real agent's
 * reconciler, store (a sublevel of this process's one LevelDB), apply path and fleet client, over
 * an in-memory stand-in for the Docker engine (hollow-engine.ts). Run as a child process of the
 * benchmark (`hollowFleet()` below), so its CPU is not the measuring side's.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Level } from 'level';
import { Store } from '../../../controller/store/store.js';
import { Reconciler } from '../../../controller/reconcile/reconciler.js';
import { WorkloadExecutor } from '../../../controller/workloads/executor.js';
import { FleetDevice } from '../../../controller/fleet/device.js';
import { connectForever } from '../../../controller/fleet/connect.js';
import { validateForServer } from '../../../crd/server.js';
import type { ApiDeps } from '../../../controller/service/deps.js';
import { HollowEngine } from './hollow-engine.js';

const quiet = { info() {}, warn() {}, error() {}, debug() {}, trace() {}, fatal() {} } as never;

export interface HollowAgent {
  node: string;
  engine: HollowEngine;
  reconciler: Reconciler;
  device: FleetDevice;
  store: Store;
}

/** `node-0007`: labels `group=even|odd` and `shard=<i mod 10>`. */
export const hollowName = (i: number) => `node-${String(i).padStart(4, '0')}`;
export const hollowLabels = (i: number) => ({ group: i % 2 === 0 ? 'even' : 'odd', shard: String(i % 10) });

export async function startHollowAgent(db: Level<string, unknown>, url: string, i: number, images: number): Promise<HollowAgent> {
  const node = hollowName(i);
  const engine = HollowEngine.withImages(node, images);
  // the image B12 asks the fleet about, on every node
  engine.images.set(`sha256:${'a'.repeat(48)}${String(i).padStart(16, '0')}`, { id: `sha256:${'a'.repeat(48)}${String(i).padStart(16, '0')}`, tags: ['app:1.2'], digests: [], size: 5_000_000, created: 1_700_000_000 });
  const store = await Store.within(db as never, node);
  const archives = { cacheDir: join(tmpdir(), 'hollow-archives-unused'), roots: [join(tmpdir(), 'hollow-archives-unused')] };
  const workloads = new WorkloadExecutor({ docker: engine, defaultPullPolicy: 'IfNotPresent', archives, now: Date.now });
  const nodeLabels = hollowLabels(i);
  const reconciler = new Reconciler({ docker: engine, store, nodeLabels, intervalMs: 30_000, log: quiet, workloads, archives, now: Date.now });
  await reconciler.start();
  const deps: ApiDeps = { store, reconciler, nodeLabels, validate: validateForServer, stateDir: `hollow:${node}`, docker: engine, archives, defaultPullPolicy: 'IfNotPresent' };
  const device = new FleetDevice({ node, connection: connectForever({ url }, node), deps, log: quiet });
  await device.start();
  return { node, engine, reconciler, device, store };
}

type Sent = { statusWrites: number; statusBytes: number; auditRecords: number };

export interface HollowFleet {
  children: ChildProcess[];
  /** what the agents sent in total, reported when they stop */
  stop(): Promise<Sent | null>;
}

/** One child process running the hollow agents `first`..`first + count - 1`. */
function hollowChild(url: string, first: number, count: number, images: number): Promise<HollowFleet> {
  const dir = mkdtempSync(join(tmpdir(), 'ictl-hollow-'));
  const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'hollow-main.ts'), url, String(first), String(count), String(images), dir], { stdio: ['ignore', 'pipe', 'inherit'] });
  let buf = '';
  const lines: ((l: Record<string, unknown>) => void)[] = [];
  child.stdout!.on('data', (c: Buffer) => {
    buf += c.toString('utf8');
    for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      try {
        const j = JSON.parse(line) as Record<string, unknown>;
        lines.splice(0).forEach((f) => f(j));
      } catch {
        // not ours
      }
    }
  });
  const next = () => new Promise<Record<string, unknown>>((resolve, reject) => {
    lines.push(resolve);
    child.once('exit', (code) => reject(new Error(`the hollow agents exited with ${code}`)));
  });
  return next().then((ready) => {
    if (!ready.ready) throw new Error(`hollow agents: ${JSON.stringify(ready)}`);
    return {
      children: [child],
      stop: async () => {
        const report = next().catch(() => null);
        child.kill('SIGTERM');
        const r = (await report) as Sent | null;
        await new Promise((res) => (child.exitCode !== null ? res(null) : child.once('exit', res)));
        rmSync(dir, { recursive: true, force: true });
        return r;
      },
    };
  });
}

/**
 * Start `count` hollow agents with `images` images each, spread over `procs` child processes (one
 * per core: a thousand agents on one thread would measure that thread); resolves once every one
 * applied the hub's set and wrote its status.
 */
export async function hollowFleet(url: string, count: number, images: number, procs = 1): Promise<HollowFleet> {
  const per = Math.ceil(count / procs);
  const parts = await Promise.all(Array.from({ length: procs }, (_, p) => hollowChild(url, p * per, Math.min(per, count - p * per), images)));
  return {
    children: parts.flatMap((p) => p.children),
    stop: async () => {
      const rs = (await Promise.all(parts.map((p) => p.stop()))).filter((r): r is Sent => r !== null);
      return rs.length ? { statusWrites: rs.reduce((n, r) => n + r.statusWrites, 0), statusBytes: rs.reduce((n, r) => n + r.statusBytes, 0), auditRecords: rs.reduce((n, r) => n + r.auditRecords, 0) } : null;
    },
  };
}
