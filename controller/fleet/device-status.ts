/**
 * The device's status in `imagectl-nodes` (its own key only): written when it changed (a set
 * applied or refused, an image transition, a workload's phase, the engine coming or going) and on a
 * heartbeat every 30 s, never on every pass. A status that could not be written (the hub away) is
 * written when the hub is back.
 */
import { statfs } from 'node:fs/promises';
import type { KV } from '@nats-io/kv';
import { HEARTBEAT_MS } from '../../crd/fleet/names.js';
import type { NodeDisk, NodeStatus } from '../../crd/fleet/node-status.js';
import type { ApiDeps } from '../service/deps.js';
import { imageItem } from '../service/views.js';
import type { WorkloadStatus } from '../workloads/executor.js';
import { agentState, engineDataRoot } from './agent-state.js';

export interface StatusSource {
  applied: { revision: number | null; objects: string[]; error: string | null };
}

export interface StatusReporterOptions {
  node: string;
  deps: ApiDeps;
  device: StatusSource;
  heartbeatMs?: number;
  checkMs?: number;
  log: { warn(obj: object, msg?: string): void };
}

/** The status without its time (what "changed" compares), and with it (what is written): one serialization. */
function serialize(s: NodeStatus): { body: string; payload: string } {
  const body = JSON.stringify({ ...s, lastSeen: null });
  return { body, payload: body.replace('"lastSeen":null', `"lastSeen":${JSON.stringify(s.lastSeen)}`) };
}

/**
 * What the periodic check compares, cheap to make: the engine, safe mode, the workloads and the
 * number of images. An image's own changes come with its audit records (`changed()`); anything
 * else is sent with the next heartbeat at the latest.
 */
function glance(d: ApiDeps): string {
  const rec = agentState(d.reconciler);
  const w = [...rec.statuses.values()].map((s) => `${s.phase}/${s.reason}/${s.resolvedDigest}`).join(',');
  return `${rec.engine.reachable}|${rec.engine.error}|${rec.safeMode?.reason}|${rec.images.size}|${w}`;
}

export class StatusReporter {
  private kv: KV | null = null;
  private last: string | null = null;
  private lastGlance: string | null = null;
  private dirty = true;
  private lastWriteAt = 0;
  private timer: NodeJS.Timeout | null = null;
  private soon: NodeJS.Timeout | null = null;
  private writing: Promise<void> | null = null;
  private disk: NodeDisk | null = null;
  private diskAt = 0;
  /** bytes and writes sent, for the benchmarks */
  readonly sent = { writes: 0, bytes: 0 };

  constructor(private readonly o: StatusReporterOptions) {}

  attach(kv: KV): void {
    this.kv = kv;
    const every = Math.min(this.o.checkMs ?? 5_000, this.heartbeat);
    this.timer = setInterval(() => void this.write(false), every);
    this.timer.unref();
    void this.write(true);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    if (this.soon) clearTimeout(this.soon);
  }

  private get heartbeat(): number {
    return this.o.heartbeatMs ?? HEARTBEAT_MS;
  }

  /** Something changed: write soon (`now`: at once, e.g. a set applied). */
  changed(now = false): void {
    this.dirty = true;
    if (!this.kv) return;
    if (now) {
      void this.write(false);
      return;
    }
    if (this.soon) return;
    this.soon = setTimeout(() => {
      this.soon = null;
      void this.write(false);
    }, 1_000);
  }

  /** The status as it is now. */
  async build(): Promise<NodeStatus> {
    const d = this.o.deps;
    const rec = agentState(d.reconciler);
    const a = this.o.device.applied;
    const workloads = [...rec.statuses.entries()].map(([k, s]: [string, WorkloadStatus]) => ({
      name: k.replace(/^Workload\//, ''), phase: s.phase, reason: s.reason, resolvedDigest: s.resolvedDigest, imageId: s.imageId,
    }));
    const images = [...rec.images.values()].map((p) => {
      const i = imageItem(p);
      return { id: i.metadata.name, status: i.status };
    });
    const ready = a.error === null && rec.engine.reachable && !rec.safeMode;
    const reason = a.error ?? (!rec.engine.reachable ? `the Docker engine is unreachable: ${rec.engine.error}` : rec.safeMode ? `safe mode: ${rec.safeMode.reason}` : a.revision === null ? 'no fleet set applied yet' : 'Applied');
    return {
      node: this.o.node, labels: d.nodeLabels, lastSeen: new Date(rec.now).toISOString(),
      appliedRevision: a.revision, ready, reason, objects: a.objects,
      disk: await this.diskUsage(), workloads, images, engine: { reachable: rec.engine.reachable, error: rec.engine.error },
    };
  }

  /** The engine's data root usage, looked up at most once a heartbeat. */
  private async diskUsage(): Promise<NodeDisk | null> {
    if (Date.now() - this.diskAt < this.heartbeat) return this.disk;
    this.diskAt = Date.now();
    try {
      const path = await engineDataRoot(this.o.deps.docker);
      if (!path) return (this.disk = null);
      const s = await statfs(path);
      const total = s.blocks * s.bsize;
      const used = total - s.bfree * s.bsize;
      this.disk = { path, usedBytes: used, totalBytes: total, usedRatio: total ? Math.round((used / total) * 1e4) / 1e4 : 0 };
    } catch {
      this.disk = null; // a remote engine, or a data root this user cannot see
    }
    return this.disk;
  }

  /** Write when the status changed or the heartbeat is due (`force`: always); one write at a time. */
  write(force: boolean): Promise<void> {
    if (this.writing) return this.writing.then(() => this.write(force));
    const run = this.writeOnce(force).finally(() => {
      if (this.writing === run) this.writing = null;
    });
    this.writing = run;
    return run;
  }

  private async writeOnce(force: boolean): Promise<void> {
    const kv = this.kv;
    if (!kv) return;
    try {
      const due = Date.now() - this.lastWriteAt >= this.heartbeat;
      const g = glance(this.o.deps);
      if (!force && !due && !this.dirty && g === this.lastGlance) return;
      this.dirty = false;
      this.lastGlance = g;
      const { body: b, payload } = serialize(await this.build());
      if (!force && !due && b === this.last) return;
      await kv.put(this.o.node, payload);
      this.last = b;
      this.lastWriteAt = Date.now();
      this.sent.writes++;
      this.sent.bytes += payload.length;
    } catch (err) {
      this.dirty = true; // written at the next check
      this.o.log.warn({ error: (err as Error).message }, 'fleet: the status was not written (the hub is away?); it is written when it is back');
    }
  }
}
