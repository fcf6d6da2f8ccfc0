/**
 * The agent's reconciler: the loop (loop.ts: triggers, debounce, due timer, resync, retry) around
 * the one pass (pass.ts), the engine's event stream that triggers it, and the API's commands that
 * go through the same executors (commands.ts). It alone writes its state; the API reads a
 * snapshot (`snapshot()`).
 */
import type { Readable } from 'node:stream';
import { randomUUID } from 'node:crypto';
import type { ImagePolicy } from '../../crd/imagepolicy/type.js';
import { isKind, type StoredObject, type StoredOf } from '../../crd/api/object.js';
import { appliesToNode } from '../../crd/imagepolicy/applies.js';
import type { ProgressItem } from '../effects/pull.js';
import type { WorkloadStatus } from '../workloads/executor.js';
import { loadManaged, pullManaged, removeManaged, type Commands, type RmiResult } from './commands.js';
import { admitPolicies } from './budget.js';
import { engineLost, tryCommit } from './conditions.js';
import { EngineEvents } from './events.js';
import { UseLog } from './uses.js';
import { Loop } from './loop.js';
import type { PassDeps, ReconcilerOptions } from './options.js';
import { runPass } from './pass.js';
import { DiskMeter, type ImageBytes } from '../disk/meter.js';
import { DiskRoom } from './room.js';
import { imagesKey } from './pressure-pass.js';
import { previewPlan } from './protection.js';
import type { PassPlan } from './plan.js';
import { LoopState, snapshotOf, type LoopSnapshot } from './state.js';

export type { Logger, ReconcilerOptions } from './options.js';
export type { EngineStatus, LoopSnapshot, PassStats, SafeMode } from './state.js';
export type { RmiRefusal, RmiResult } from './commands.js';

/** how long the API waits for /system/df before it answers without unique sizes, ms */
const UNIQUE_WAIT_MS = 3_000;

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
    this.d = { ...o, now: this.now, stopped: () => this.stopped, uses, history: () => this.events.history(), disk: new DiskMeter(o.docker) };
    this.d.room = new DiskRoom(this.d, this.s);
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

  /**
   * The applied manifests changed: take them and run a pass on them. `objects`: every stored
   * object as the change just committed them (an apply knows them: the store is not read again);
   * without it they are re-read from the store.
   */
  async desiredChanged(objects?: readonly StoredObject[]): Promise<void> {
    await this.loop.exclusive(() => this.loadDesired(objects));
    await this.loop.run('apply');
  }

  /** The plan for `policies` (the selected ones by default), without acting (plan, server dry run). */
  preview(policies?: readonly ImagePolicy[]): PassPlan | null {
    return previewPlan(this.snapshot(), policies);
  }

  /** The last /system/df answer, when it is about the current images; never asks the engine. */
  cachedImageBytes(): ImageBytes | null {
    return this.s.lastObservation && this.d.disk ? this.d.disk.cached(imagesKey(this.s)) : null;
  }

  /** The engine's image bytes and each current image's unique bytes (/system/df, asked again only when the images changed); null when the engine does not say. */
  async imageBytes(): Promise<ImageBytes | null> {
    const meter = this.d.disk;
    if (!this.s.lastObservation || !meter) return null;
    const key = imagesKey(this.s);
    const known = meter.cached(key);
    if (known || !this.s.engine.reachable) return known;
    // the API answers without it rather than wait on a slow engine
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<null>((r) => (timer = setTimeout(() => r(null), UNIQUE_WAIT_MS)));
    const asked = meter.images(key).catch(() => null);
    try {
      return await Promise.race([asked, late]);
    } finally {
      clearTimeout(timer);
    }
  }

  pull(ref: string, onItem?: (i: ProgressItem) => void) {
    return pullManaged(this.commands(), ref, onItem);
  }

  /** `declared`: the archive's size, when the client said it (checked before anything is written). */
  load(source: Readable, digest: string | undefined, name: string, declared?: number) {
    return loadManaged(this.commands(), source, digest, name, `*${randomUUID()}`, declared);
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

  private async loadDesired(objects?: readonly StoredObject[]): Promise<void> {
    const s = this.s;
    // in the store's order (by name), as a re-read would give them
    const of = <K extends 'ImagePolicy' | 'Workload'>(kind: K) =>
      objects!.filter((o): o is StoredOf<K> => isKind(o, kind)).sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : a.metadata.name > b.metadata.name ? 1 : 0));
    s.policies = objects ? of('ImagePolicy') : await this.o.store.listObjects('ImagePolicy');
    s.workloads = objects ? of('Workload') : await this.o.store.listObjects('Workload');
    s.selected = admitPolicies(s, s.policies, this.o.log, this.now()).filter((p) => appliesToNode(p.spec, { labels: this.o.nodeLabels, constraints: this.o.nodeConstraints }).matches);
    s.policiesKey = JSON.stringify(s.selected.map((p) => [p.metadata.name, p.spec]));
  }
}
