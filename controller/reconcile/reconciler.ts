/**
 * The level-triggered reconcile loop. A pass re-reads everything (engine, desired state, persisted
 * machines), plans with the pure planner, commits the plan's snapshots and audit records in one
 * atomic batch (write-ahead: an image is recorded `removable` before anything is deleted), then
 * executes removals one at a time on one connection and commits their outcomes in a second batch.
 * Passes are triggered by Docker events (debounced), by apply, by a timer for the next due removal
 * and by a periodic resync. At most one pass runs at a time; a trigger during a pass runs one more
 * pass after it.
 *
 * Safe mode: when the store does not take a write (disk full, read-only), the agent keeps serving
 * and observing but removes nothing and acts on no workload, and it does not advance the machines
 * it could not persist; every pass probes the store and leaves safe mode once a write succeeds.
 */
import type { IncomingMessage } from 'node:http';
import type { EngineClient as Docker } from '../engine/client.js';
import type { ImagePolicy } from '../../crd/imagepolicy/type.js';
import type { Workload } from '../../crd/workload/type.js';
import { compilePolicies } from '../../crd/imagepolicy/match.js';
import { appliesToNode } from '../../crd/imagepolicy/applies.js';
import type { PersistedImage } from '../../statemachines/runtime.js';
import type { Store } from '../store/store.js';
import { errorText, observe } from '../engine/docker.js';
import type { Observation } from '../engine/observation.js';
import { applyEvent, planPass, type DownloadRecord, type PassPlan } from './plan.js';
import { removeImageSafely, type RemovalOutcome } from '../effects/remove.js';
import { orphanedResidual, removeResidual, type ArchiveStore } from '../effects/archives.js';
import { refParts } from '../workloads/decide.js';
import { LABEL_MANAGED, LABEL_WORKLOAD, type WorkloadExecutor, type WorkloadStatus } from '../workloads/executor.js';

export interface Logger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface ReconcilerOptions {
  docker: Docker;
  store: Store;
  nodeLabels: Record<string, string>;
  /** the node's Open Horizon constraints, matched against policy properties */
  nodeConstraints?: readonly string[];
  /** periodic full resync, ms */
  intervalMs: number;
  /** engine events run at most one pass per this window, ms */
  debounceMs?: number;
  /** the first event after a quiet spell runs a pass this much later, ms (default 25) */
  settleMs?: number;
  now?: () => number;
  log: Logger;
  workloads: WorkloadExecutor;
  archives: ArchiveStore;
  /** told about every pass when it ends (the metrics: duration, errors) */
  onPass?: (p: { at: string; durationMs: number; error: string | null }) => void;
}

export interface EngineStatus {
  reachable: boolean;
  error: string | null;
  since: string;
}

const RETRY_MIN_MS = 500;
const RETRY_MAX_MS = 10_000;
/** a wall clock this far from the agent clock is logged (the countdowns keep monotonic time) */
const SKEW_WARN_MS = 2_000;

export interface SafeMode {
  since: string;
  reason: string;
}

/** How passes ran: `maxConcurrent` must stay 1. */
export interface PassStats {
  running: number;
  maxConcurrent: number;
  /** triggers that found a pass running and were folded into one more pass */
  coalesced: number;
  /** engine events received */
  events: number;
  /** removals the engine failed for another reason than a container using the image (retried) */
  removalErrors: number;
}

type Outcomes = Pick<PassPlan, 'images' | 'changed' | 'audit'>;

export class Reconciler {
  images = new Map<string, PersistedImage>();
  downloads = new Map<string, DownloadRecord>();
  policies: ImagePolicy[] = [];
  workloads: Workload[] = [];
  /** references being pulled or loaded through the API right now (see PassInput.arriving) */
  readonly arriving = new Set<string>();
  statuses = new Map<string, WorkloadStatus>();
  lastObservation: Observation | null = null;
  engine: EngineStatus = { reachable: false, error: 'not contacted yet', since: new Date().toISOString() };
  passes = 0;
  lastPass: { at: string; durationMs: number; error: string | null } | null = null;
  nextDueAt: number | null = null;
  /** non-null while the store takes no writes: nothing is removed */
  safeMode: SafeMode | null = null;
  stats: PassStats = { running: 0, maxConcurrent: 0, coalesced: 0, events: 0, removalErrors: 0 };

  /** the agent clock (monotonic within a run, see lib/clock.ts) */
  readonly now: () => number;
  /** workload results acted on in the engine but not yet written (safe mode) */
  private unwritten = { downloads: new Map<string, DownloadRecord>(), statuses: new Map<string, WorkloadStatus>(), deleted: new Set<string>() };
  private skewLogged = false;
  private readonly dangling = new Set<string>();
  private running: Promise<void> | null = null;
  private again = false;
  private stopped = false;
  private debounce: NodeJS.Timeout | null = null;
  /** when the last pass for engine events ended (performance.now(): monotonic) */
  private lastEventPassAt = -Infinity;
  /** a pass for engine events runs; `again`: events came meanwhile */
  private eventPass: 'idle' | 'running' | 'again' = 'idle';
  private dueTimer: NodeJS.Timeout | null = null;
  private resyncTimer: NodeJS.Timeout | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
  private events: NodeJS.ReadableStream | null = null;
  private eventsBackoff = RETRY_MIN_MS;
  private passBackoff = RETRY_MIN_MS;

  constructor(private readonly o: ReconcilerOptions) {
    this.now = o.now ?? Date.now;
  }

  async start(): Promise<void> {
    this.images = await this.o.store.loadImages();
    this.downloads = await this.o.store.loadDownloads();
    this.statuses = await this.o.store.loadStatuses<WorkloadStatus>();
    await this.reloadDesired();
    this.resyncTimer = setInterval(() => this.trigger('resync'), this.o.intervalMs);
    this.resyncTimer.unref();
    this.watchEvents();
    await this.runPass('start');
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of [this.debounce, this.dueTimer, this.retryTimer]) if (t) clearTimeout(t);
    if (this.resyncTimer) clearInterval(this.resyncTimer);
    (this.events as unknown as { destroy?: () => void })?.destroy?.();
    await this.running;
  }

  /** What the metrics and the change feed read: the reconciler's state at this moment, as a plain object. */
  snapshot() {
    const { images, statuses, lastObservation, engine, safeMode, workloads, lastPass } = this;
    return { images, statuses, lastObservation, engine, safeMode, workloads, lastPass, passStats: { ...this.stats } };
  }

  /** The policies that select this node. */
  selectedPolicies(): ImagePolicy[] {
    return this.policies.filter((p) => appliesToNode(p.spec, { labels: this.o.nodeLabels, constraints: this.o.nodeConstraints }).matches);
  }

  /** Re-read the applied manifests from the store. */
  async reloadDesired(): Promise<void> {
    this.policies = (await this.o.store.listObjects('ImagePolicy')) as unknown as ImagePolicy[];
    this.workloads = (await this.o.store.listObjects('Workload')) as unknown as Workload[];
  }

  /** Run `fn` while no pass runs (API actions that change machines: rmi, pull). */
  async exclusive<T>(fn: () => Promise<T>): Promise<T> {
    while (this.running) await this.running;
    let release!: () => void;
    this.running = new Promise<void>((r) => (release = r));
    this.enter();
    try {
      return await fn();
    } finally {
      this.stats.running--;
      this.running = null;
      release();
      if (this.again) this.trigger('deferred');
    }
  }

  /** Image references and IDs that workloads need: protected from removal. */
  private workloadProtection(): { refs: Map<string, string>; ids: Map<string, string> } {
    const refs = new Map<string, string>();
    const ids = new Map<string, string>();
    for (const w of this.workloads) {
      try {
        const p = refParts(w.spec.image);
        refs.set(p.pullRef, w.metadata.name);
        if (p.tagRef) refs.set(p.tagRef, w.metadata.name);
      } catch {
        // validated on apply
      }
      const st = this.statuses.get(`Workload/${w.metadata.name}`);
      if (st?.imageId) ids.set(st.imageId, w.metadata.name);
    }
    return { refs, ids };
  }

  /** Converge every Workload's image and container; remove containers of deleted Workloads. */
  private async reconcileWorkloads(observed: Observation): Promise<{ touched: boolean; statuses: [string, WorkloadStatus][]; deleted: string[]; downloads: [string, DownloadRecord][] }> {
    const out = { touched: false, statuses: [] as [string, WorkloadStatus][], deleted: [] as string[], downloads: [] as [string, DownloadRecord][] };
    const names = new Set(this.workloads.map((w) => w.metadata.name));
    if (this.workloads.length === 0 && !observed.containers.some((c) => c.labels[LABEL_MANAGED] === 'true') && this.statuses.size === 0) return out;
    const queue = [...this.workloads];
    const worker = async () => {
      for (let w = queue.shift(); w; w = queue.shift()) {
        const key = `Workload/${w.metadata.name}`;
        const prev = this.statuses.get(key);
        const r = await this.o.workloads.reconcile(w, prev, observed.containers);
        out.touched ||= r.touched;
        out.downloads.push(...r.downloads);
        if (JSON.stringify(prev) !== JSON.stringify(r.status)) out.statuses.push([key, r.status]);
        if (r.status.phase === 'Failed' && prev?.message !== r.status.message) this.o.log.warn({ workload: w.metadata.name, reason: r.status.reason, message: r.status.message }, 'workload failed');
      }
    };
    // bounded concurrency for pulls and container changes
    await Promise.all([worker(), worker()]);
    // only containers of Workloads this store knew (a status was recorded): after a repair that lost
    // Workload objects, their containers are left alone, not taken for containers of deleted Workloads
    const known = observed.containers.filter((c) => this.statuses.has(`Workload/${c.labels[LABEL_WORKLOAD] ?? ''}`));
    const orphans = await this.o.workloads.removeOrphans(names, known);
    if (orphans.length) {
      out.touched = true;
      this.o.log.info({ containers: orphans }, 'removed containers of deleted workloads');
    }
    for (const key of this.statuses.keys()) if (!names.has(key.slice('Workload/'.length))) out.deleted.push(key);
    return out;
  }

  /**
   * Ask for a pass soon. Other triggers run at once. Engine events are rate-limited, barely
   * delayed: the first event after a quiet spell runs a pass `settleMs` later (25 ms: the events of
   * one `docker run` or `docker rm -f` arrive together, and make one pass), and events during that
   * pass or within `debounceMs` after it are folded into one pass at the end of that window, so a
   * storm leaves the engine at least `debounceMs` between passes.
   */
  trigger(reason: string): void {
    if (this.stopped) return;
    if (reason === 'event') {
      if (this.debounce) return;
      if (this.eventPass !== 'idle') {
        this.eventPass = 'again';
        return;
      }
      const wait = Math.max(this.o.settleMs ?? 25, this.lastEventPassAt + (this.o.debounceMs ?? 100) - performance.now());
      this.debounce = setTimeout(() => {
        this.debounce = null;
        this.eventPass = 'running';
        void this.runPass(reason).finally(() => {
          const again = this.eventPass === 'again';
          this.eventPass = 'idle';
          this.lastEventPassAt = performance.now();
          if (again) this.trigger(reason);
        });
      }, wait);
      return;
    }
    void this.runPass(reason);
  }

  /** Run a pass now, or once more right after the running one. Resolves when the state is current. */
  runPass(reason: string): Promise<void> {
    if (this.running) {
      if (!this.again) this.stats.coalesced++;
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      try {
        do {
          this.again = false;
          await this.pass(reason);
        } while (this.again && !this.stopped);
      } finally {
        this.running = null;
      }
    })();
    return this.running;
  }

  /** The pure plan for the current state and `policies`, without acting (plan, server dry run). */
  preview(policies: ImagePolicy[] = this.selectedPolicies(), now = this.now()): PassPlan | null {
    if (!this.lastObservation) return null;
    const protection = this.workloadProtection();
    return planPass({
      policies: compilePolicies(policies), observed: this.lastObservation, persisted: this.images, downloads: this.downloads,
      workloadRefs: protection.refs, workloadIds: protection.ids, now,
    });
  }

  private enter(): void {
    this.stats.running++;
    this.stats.maxConcurrent = Math.max(this.stats.maxConcurrent, this.stats.running);
  }

  private async pass(reason: string): Promise<void> {
    if (this.stopped) return;
    this.enter();
    try {
      await this.passOnce(reason);
    } finally {
      this.stats.running--;
      if (this.lastPass) this.o.onPass?.(this.lastPass);
    }
  }

  private async passOnce(reason: string): Promise<void> {
    const started = this.now();
    this.checkSkew();
    if (this.safeMode) await this.probeStore();
    let observed: Observation;
    try {
      observed = await observe(this.o.docker);
    } catch (err) {
      this.engineLost(err);
      this.lastPass = { at: new Date(started).toISOString(), durationMs: this.now() - started, error: errorText(err) };
      this.scheduleRetry();
      return;
    }
    this.engineBack();
    let wl: Awaited<ReturnType<Reconciler['reconcileWorkloads']>> = { touched: false, statuses: [], deleted: [], downloads: [] };
    if (!this.safeMode) {
      try {
        wl = await this.reconcileWorkloads(observed);
        if (wl.touched) observed = await observe(this.o.docker);
      } catch (err) {
        this.engineLost(err);
        this.scheduleRetry();
        return;
      }
    }
    // what the engine now holds is acted on: keep it in memory even if the store refuses it
    for (const [id, d] of wl.downloads) this.unwritten.downloads.set(id, d);
    for (const [k, st] of wl.statuses) this.unwritten.statuses.set(k, st);
    for (const k of wl.deleted) this.unwritten.deleted.add(k);
    for (const [id, d] of wl.downloads) this.downloads.set(id, d);
    for (const [k, st] of wl.statuses) this.statuses.set(k, st);
    for (const k of wl.deleted) this.statuses.delete(k);
    this.lastObservation = observed;
    this.noteDanglingContainers(observed);
    const protection = this.workloadProtection();
    const plan = planPass({
      policies: compilePolicies(this.selectedPolicies()),
      observed,
      persisted: this.images,
      downloads: this.downloads,
      workloadRefs: protection.refs,
      workloadIds: protection.ids,
      arriving: this.arriving,
      now: this.now(),
    });
    // write ahead: the plan (every `-> removable` among it) is on disk before anything is deleted
    const planned = await this.tryCommit({
      putImages: plan.changed, audit: plan.audit,
      putDownloads: [...this.unwritten.downloads], putStatuses: [...this.unwritten.statuses], deleteStatuses: [...this.unwritten.deleted],
    });
    if (!planned) {
      // the machines stay as last written; nothing is removed on the strength of unwritten state
      this.lastPass = { at: new Date(started).toISOString(), durationMs: this.now() - started, error: `safe mode: ${this.safeMode?.reason ?? ''}` };
      this.scheduleDue(null);
      this.scheduleRetry();
      return;
    }
    this.unwritten = { downloads: new Map(), statuses: new Map(), deleted: new Set() };
    this.images = plan.images;
    for (const r of plan.audit) this.o.log.info({ image: r.image, tags: r.tags, from: r.from, to: r.to, reason: r.reason, trigger: reason }, 'transition');

    let failed = false;
    if (plan.remove.length > 0) {
      const out: Outcomes = { images: new Map(plan.images), changed: new Map(), audit: [] };
      // one removal at a time (the engine serializes deletes; parallel ones are slower), but the next
      // request leaves as soon as the previous answer is in, and the bookkeeping of that answer
      // (machine step, audit record) runs while the engine works on the next image
      const ids = plan.remove;
      const start = (id: string) => removeImageSafely(this.o.docker, id, out.images.get(id)!.context.tags);
      let next: Promise<RemovalOutcome> | null = this.stopped ? null : start(ids[0]!);
      for (let i = 0; next; i++) {
        const outcome = await next;
        const now = this.now();
        next = i + 1 < ids.length && !this.stopped ? start(ids[i + 1]!) : null;
        failed = !this.recordRemoval(out, ids[i]!, outcome, now) || failed;
      }
      const gone = out.audit.filter((a) => a.to === 'removed' && this.downloads.has(a.image)).map((a) => a.image);
      await removeResidual(this.o.archives, orphanedResidual(this.downloads, gone));
      // the engine changed whether or not this is written: memory follows the engine, and a restart
      // that finds the image gone records it as "found gone"
      await this.tryCommit({ putImages: out.changed, audit: out.audit, deleteDownloads: gone });
      for (const id of gone) this.downloads.delete(id);
      this.images = out.images;
      for (const r of out.audit) this.o.log.info({ image: r.image, tags: r.tags, from: r.from, to: r.to, reason: r.reason, trigger: reason }, 'transition');
    }
    this.passes++;
    this.lastPass = { at: new Date(started).toISOString(), durationMs: this.now() - started, error: this.safeMode ? `safe mode: ${this.safeMode.reason}` : null };
    this.scheduleDue(this.safeMode ? null : plan.nextDueAt);
    if (failed || this.safeMode) this.scheduleRetry();
    else this.passBackoff = RETRY_MIN_MS;
  }

  /** Commit, or enter safe mode when the store refuses the write. */
  private async tryCommit(c: Parameters<Store['commit']>[0]): Promise<boolean> {
    try {
      await this.o.store.commit(c);
      return true;
    } catch (err) {
      this.enterSafeMode(err);
      return false;
    }
  }

  private enterSafeMode(err: unknown): void {
    const reason = `the store in ${this.o.store.dir} does not take writes: ${errorText(err)}`;
    if (!this.safeMode) this.o.log.error({ error: errorText(err) }, `safe mode: ${reason}; nothing is removed until it does`);
    this.safeMode = { since: new Date(this.now()).toISOString(), reason };
  }

  private async probeStore(): Promise<void> {
    try {
      await this.o.store.probeWrite(this.now());
      this.o.log.info({ since: this.safeMode?.since }, 'the store takes writes again: leaving safe mode');
      this.safeMode = null;
    } catch (err) {
      this.enterSafeMode(err);
    }
  }

  /**
   * Log (once each) containers whose image is gone. dockerd has its own race: a container being
   * created while an unforced delete of its image runs can be registered after the delete.
   */
  private noteDanglingContainers(observed: Observation): void {
    const present = new Set(observed.images.map((i) => i.id));
    for (const c of observed.containers) {
      if (present.has(c.imageId) || this.dangling.has(c.id)) continue;
      this.dangling.add(c.id);
      const removed = this.images.get(c.imageId);
      this.o.log.warn({ container: c.name, image: c.imageId, removedAt: removed?.context.removedAt ? new Date(removed.context.removedAt).toISOString() : null }, 'a container references an image that is gone (created while the engine deleted it)');
    }
  }

  /** Log (once per jump) a wall clock that left the agent clock. */
  private checkSkew(): void {
    const skew = Date.now() - this.now();
    if (Math.abs(skew) < SKEW_WARN_MS) {
      this.skewLogged = false;
      return;
    }
    if (this.skewLogged) return;
    this.skewLogged = true;
    this.o.log.warn({ skewMs: skew }, `the wall clock is ${Math.round(skew / 1000)} s ${skew > 0 ? 'ahead of' : 'behind'} the agent clock; countdowns keep monotonic time until the next agent start`);
  }

  /** Feed a removal's outcome to the machine. Returns false when it should be retried. */
  private recordRemoval(out: Outcomes, id: string, outcome: RemovalOutcome, now: number): boolean {
    const current = out.images.get(id)!;
    switch (outcome.kind) {
      case 'removed':
        applyEvent(out, current, { type: 'REMOVED', now, reason: `${current.context.reason}; removed ${outcome.deleted}${outcome.untagged.length ? ` after untagging ${outcome.untagged.join(', ')}` : ''}` }, 'agent');
        return true;
      case 'gone':
        applyEvent(out, current, { type: 'REMOVED', now, reason: 'found gone before removal' }, 'agent');
        return true;
      case 'in-use':
        applyEvent(out, current, { type: 'REMOVE_FAILED', now, inUse: true, error: outcome.error, usedBy: outcome.usedBy, restored: outcome.restored }, 'agent');
        return true;
      case 'failed':
        this.stats.removalErrors++;
        this.o.log.warn({ image: id, error: outcome.error }, 'removal failed; will retry');
        applyEvent(out, current, { type: 'REMOVE_FAILED', now, inUse: false, error: outcome.error }, 'agent');
        return false;
    }
  }

  private scheduleDue(at: number | null): void {
    this.nextDueAt = at;
    if (this.dueTimer) clearTimeout(this.dueTimer);
    this.dueTimer = null;
    if (at === null || this.stopped) return;
    // a little past the due moment, so that `now >= due` holds in the pass it triggers
    const delay = Math.max(0, at - this.now()) + 5;
    this.dueTimer = setTimeout(() => this.trigger('due'), Math.min(delay, 2 ** 31 - 1));
  }

  private scheduleRetry(): void {
    if (this.retryTimer || this.stopped) return;
    const delay = this.passBackoff;
    this.passBackoff = Math.min(this.passBackoff * 2, RETRY_MAX_MS);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.trigger('retry');
    }, delay);
  }

  private engineLost(err: unknown): void {
    if (this.engine.reachable || this.engine.error === 'not contacted yet') {
      this.o.log.error({ error: errorText(err) }, 'lost the Docker engine');
    }
    if (this.engine.reachable || this.engine.error !== errorText(err)) {
      this.engine = { reachable: false, error: errorText(err), since: new Date(this.now()).toISOString() };
    }
  }

  private engineBack(): void {
    if (!this.engine.reachable) {
      this.engine = { reachable: true, error: null, since: new Date(this.now()).toISOString() };
      this.o.log.info({}, 'connected to the Docker engine');
    }
  }

  /** Follow the engine's event stream; reconnect with backoff when it ends. */
  private watchEvents(): void {
    if (this.stopped) return;
    const reconnect = () => {
      if (this.stopped) return;
      this.events = null;
      const delay = this.eventsBackoff;
      this.eventsBackoff = Math.min(this.eventsBackoff * 2, RETRY_MAX_MS);
      setTimeout(() => this.watchEvents(), delay).unref();
      this.trigger('resync');
    };
    const follow = (stream: IncomingMessage) => {
      if (this.stopped) {
        stream.destroy();
        return;
      }
      this.events = stream;
      this.eventsBackoff = RETRY_MIN_MS;
      stream.on('data', (chunk: Buffer | string) => {
        // one JSON object per line; a chunk may carry several
        for (let i = chunk.indexOf('\n'); i >= 0; i = chunk.indexOf('\n', i + 1)) this.stats.events++;
        this.trigger('event');
      });
      let done = false;
      const end = () => {
        if (done) return;
        done = true;
        reconnect();
      };
      stream.on('end', end);
      stream.on('close', end);
      stream.on('error', end);
      // events that happened while the stream was down
      this.trigger('resync');
    };
    this.o.docker.getEvents({ filters: JSON.stringify({ type: ['container', 'image'] }) }).then(follow, (err: Error) => {
      this.engineLost(err);
      reconnect();
    });
  }
}
