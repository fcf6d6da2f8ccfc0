/**
 * The agent's reconciler: the loop (loop.ts: triggers, debounce, due timer, resync, retry) around
 * the one pass (pass.ts), the engine's event stream that triggers it, and the API's commands that
 * go through the same executors (commands.ts). It alone writes its state; the API reads a
 * snapshot (`snapshot()`).
 */
import type { Readable } from 'node:stream';
import { randomUUID } from 'node:crypto';
import type { ImagePolicy } from '../../crd/imagepolicy/type.js';
import { appliesToNode } from '../../crd/imagepolicy/applies.js';
import type { ProgressItem } from '../effects/pull.js';
import type { WorkloadStatus } from '../workloads/executor.js';
import { loadManaged, pullManaged, removeManaged, type Commands, type RmiResult } from './commands.js';
import { engineLost, tryCommit } from './conditions.js';
import { EngineEvents } from './events.js';
import { UseLog } from './uses.js';
import { Loop } from './loop.js';
import type { PassDeps, ReconcilerOptions } from './options.js';
import { runPass } from './pass.js';
import { previewPlan } from './protection.js';
import type { PassPlan } from './plan.js';
import { LoopState, snapshotOf, type LoopSnapshot } from './state.js';

export type { Logger, ReconcilerOptions } from './options.js';
export type { EngineStatus, LoopSnapshot, PassStats, SafeMode } from './state.js';
export type { RmiRefusal, RmiResult } from './commands.js';

export class Reconciler {
  /** the agent clock (monotonic within a run, see agent/clock.ts) */
  readonly now: () => number;
  private readonly s = new LoopState();
  private readonly d: PassDeps;
  private readonly loop: Loop;
  private readonly events: EngineEvents;
  private stopped = false;
  private untrackedSince: number | null = null;

  constructor(private readonly o: ReconcilerOptions) {
    this.now = o.now ?? Date.now;
    const uses = new UseLog(o.docker);
    this.d = { ...o, now: this.now, stopped: () => this.stopped, uses, history: () => this.events.history() };
    this.loop = new Loop({
      reconcile: (reason) => runPass(this.d, this.s, reason),
      debounce: { settleMs: o.settleMs ?? 25, gapMs: o.debounceMs ?? 100 },
      resyncMs: o.intervalMs,
    });
    this.events = new EngineEvents({
      docker: o.docker,
      uses,
      log: o.log,
      untrackedSince: () => this.untrackedSince,
      onEngineGone: () => void this.loop.exclusive(() => this.markEngineGone()),
      onEvents: (n) => {
        this.s.events += n;
        this.loop.soon('event');
      },
      onLost: (err) => engineLost(this.d, this.s, err),
      resync: () => void this.loop.run('resync'),
    });
  }

  async start(): Promise<void> {
    const cursor = await this.o.store.eventCursor();
    this.d.uses.restore(cursor);
    this.s.committedCursor = cursor;
    this.s.images = await this.o.store.loadImages();
    // a store from before the agent kept an event cursor: what happened since its last record is unknown
    if (!cursor && this.s.images.size > 0) this.untrackedSince = (await this.o.store.latestTime()) ?? 0;
    this.s.downloads = await this.o.store.loadDownloads();
    this.s.statuses = await this.o.store.loadStatuses<WorkloadStatus>();
    await this.loadDesired();
    this.loop.start();
    this.events.start();
    await this.loop.run('start');
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.events.stop();
    await this.loop.stop();
  }

  /** What the API reads: the loop's state at this moment, as a plain object. */
  snapshot(): LoopSnapshot {
    return snapshotOf(this.s, this.loop.stats, this.now());
  }

  /** Ask for a pass: engine events are debounced, anything else runs now (or right after the running pass). */
  trigger(reason: string): void {
    if (reason === 'event') this.loop.soon(reason);
    else void this.loop.run(reason);
  }

  /** Run a pass now, or once more after the running one. Resolves when the state is current. */
  runPass(reason: string): Promise<void> {
    return this.loop.run(reason);
  }

  /** The applied manifests changed: re-read them and run a pass on them. */
  async desiredChanged(): Promise<void> {
    await this.loop.exclusive(() => this.loadDesired());
    await this.loop.run('apply');
  }

  /** The plan for `policies` (the selected ones by default), without acting (plan, server dry run). */
  preview(policies?: readonly ImagePolicy[]): PassPlan | null {
    return previewPlan(this.snapshot(), policies);
  }

  pull(ref: string, onItem?: (i: ProgressItem) => void) {
    return pullManaged(this.commands(), ref, onItem);
  }

  load(source: Readable, digest: string | undefined, name: string) {
    return loadManaged(this.commands(), source, digest, name, `*${randomUUID()}`);
  }

  /** `imagectl rmi` of the image `id` (named `ref` by the user). */
  async rmi(id: string, ref: string, actor: string): Promise<RmiResult> {
    const r = await removeManaged(this.commands(), id, ref, actor);
    this.trigger('rmi');
    return r;
  }

  /**
   * The engine went away while the agent listened: when every event until then is recorded, say so
   * in the store, so that an agent started after the engine is back (a reboot) knows it missed nothing.
   */
  private async markEngineGone(): Promise<void> {
    const c = this.s.committedCursor;
    if (!c || c.engineGone || !this.d.uses.allRecorded(c)) return;
    const flagged = { ...c, engineGone: true };
    if (await tryCommit(this.d, this.s, { eventCursor: flagged })) this.s.committedCursor = flagged;
  }

  private commands(): Commands {
    return { d: this.d, s: this.s, loop: this.loop };
  }

  private async loadDesired(): Promise<void> {
    const s = this.s;
    s.policies = await this.o.store.listObjects('ImagePolicy');
    s.workloads = await this.o.store.listObjects('Workload');
    s.selected = s.policies.filter((p) => appliesToNode(p.spec, { labels: this.o.nodeLabels, constraints: this.o.nodeConstraints }).matches);
    s.policiesKey = JSON.stringify(s.selected.map((p) => [p.metadata.name, p.spec]));
  }
}
