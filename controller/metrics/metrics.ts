/**
 * The agent's Prometheus metrics (SPEC §9), with prom-client. Gauges are read from the agent's
 * state when scraped (images and bytes by state, workloads by phase, engine, safe mode, disk);
 * counters follow what the store commits (removals and their reason, reclaimed bytes, lateness,
 * in-use refusals, pulls) and what each pass reports (duration, errors). The agent calls
 * `onPass` at the end of every pass; nothing else in the loop knows about metrics.
 *
 * Further metrics register on `registry` (the fleet's `imagectl_fleet_connected` and
 * `imagectl_fleet_applied_revision` belong there: `new Gauge({ registers: [metrics.registry], … })`).
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { VERSION } from '../../crd/api/version.js';
import type { LogRecord } from '../../crd/api/audit.js';
import { removeAt } from '../../statemachines/image.js';
import type { PersistedImage } from '../../statemachines/runtime.js';
import type { Commit } from '../store/store.js';
import { DataRootUsage, diskBudgetGauges, type DiskSource, type InfoSource } from './disk.js';

/** What the metrics read from the agent when scraped: a part of the reconciler's snapshot. */
export interface MetricsSource extends DiskSource {
  images: ReadonlyMap<string, PersistedImage>;
  workloads: readonly { metadata: { name: string } }[];
  statuses: ReadonlyMap<string, { phase: string }>;
  engine: { reachable: boolean };
  safeMode: object | null;
  /** stored policies disabled over the cost budget (they put the agent in safe mode too) */
  disabledPolicies?: ReadonlyMap<string, string>;
  /** `removalErrors`: removals that failed and are retried, counted by the reconciler */
  passStats: { removalErrors?: number };
}

/** What a pass reports when it ends. */
export interface PassReport {
  at: string;
  durationMs: number;
  error: string | null;
}

/** The commit side: the store emits `commit` with what it wrote. */
interface CommitSource {
  on(event: 'commit', fn: (c: Commit) => void): unknown;
  off(event: 'commit', fn: (c: Commit) => void): unknown;
}

const LIVE_STATES = ['downloaded', 'in-use', 'idle', 'removable'] as const;
const PHASES = ['Pending', 'Running', 'Failed'] as const;

/** How an image left: `age` (a rule's deleteAfter), `disk` (disk pressure), `manual` (rmi); null when it was not removed by imagectl. */
export function removalReason(r: LogRecord): 'age' | 'disk' | 'manual' | null {
  if (r.to !== 'removed' || r.event !== 'removed' || r.reason.startsWith('found gone')) return null;
  if (r.actor !== 'agent') return 'manual';
  return r.reason.startsWith('disk pressure') ? 'disk' : 'age';
}

export class AgentMetrics {
  readonly registry = new Registry();
  private readonly removals: Counter<'reason'>;
  private readonly reclaimed: Counter;
  private readonly lateness: Histogram;
  private readonly failures: Counter<'reason'>;
  private readonly pulls: Counter<'result'>;
  private readonly passDuration: Histogram;
  private readonly passErrors: Counter<'kind'>;
  private readonly lastSuccess: Gauge;
  private readonly lostCommits: Counter;
  private removalErrorsSeen = 0;
  /** per workload, the newest status event already counted (pulls) */
  private readonly countedEvents = new Map<string, number>();
  private readonly onCommit = (c: Commit) => this.fromCommit(c);

  constructor(private readonly src: () => MetricsSource, private readonly store: CommitSource, engine: InfoSource, private readonly startedAt: number) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    // prom-client names these gauges *_total, which Prometheus keeps for counters (promtool says so)
    for (const n of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']) this.registry.removeSingleMetric(n);
    new Gauge({ name: 'imagectl_build_info', help: 'imagectl version of the agent (always 1)', labelNames: ['version'], registers }).set({ version: VERSION }, 1);
    this.stateGauges();
    const disk = new DataRootUsage(engine);
    new Gauge({
      name: 'imagectl_disk_used_ratio', help: 'Used fraction of the filesystem holding the engine data root (DockerRootDir), by statfs; absent when the agent cannot see that path', labelNames: ['path'], registers,
      async collect() {
        this.reset();
        const u = await disk.usage();
        if (u) this.set({ path: u.path }, u.ratio);
      },
    });
    diskBudgetGauges(this.src, registers);
    this.removals = new Counter({ name: 'imagectl_removals_total', help: 'Images removed by imagectl, by why: age (a rule), disk (disk pressure), manual (rmi)', labelNames: ['reason'], registers });
    for (const reason of ['age', 'disk', 'manual']) this.removals.inc({ reason }, 0);
    this.reclaimed = new Counter({ name: 'imagectl_reclaimed_bytes_total', help: 'Bytes of the images imagectl removed', registers });
    this.lateness = new Histogram({ name: 'imagectl_removal_lateness_seconds', help: 'How long after its due time an image was removed (age removals)', buckets: [0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300, 3600], registers });
    this.failures = new Counter({ name: 'imagectl_removal_failures_total', help: 'Removals that did not happen: in_use (the engine refused, a container uses the image), refused (the engine refused with no container using it; not retried until something changes), error (any other engine failure, retried)', labelNames: ['reason'], registers, collect: () => this.collectRemovalErrors() });
    for (const reason of ['in_use', 'refused', 'error']) this.failures.inc({ reason }, 0);
    this.pulls = new Counter({ name: 'imagectl_pulls_total', help: 'Image pulls through imagectl pull and by workloads, by result', labelNames: ['result'], registers });
    for (const result of ['success', 'failure']) this.pulls.inc({ result }, 0);
    this.passDuration = new Histogram({ name: 'imagectl_reconcile_duration_seconds', help: 'Duration of reconcile passes', buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30], registers });
    this.passErrors = new Counter({ name: 'imagectl_reconcile_errors_total', help: 'Reconcile passes that ended in an error, by kind: engine (unreachable), store (the store took no write: safe mode), other', labelNames: ['kind'], registers });
    for (const kind of ['engine', 'store', 'other']) this.passErrors.inc({ kind }, 0);
    this.lastSuccess = new Gauge({ name: 'imagectl_reconcile_last_success_timestamp_seconds', help: 'When the last reconcile pass without an error ended (Unix time)', registers });
    this.lostCommits = new Counter({ name: 'imagectl_metrics_unread_commits_total', help: 'Store commits the metrics could not read (their counters missed them)', registers });
    store.on('commit', this.onCommit);
  }

  /** The gauges read from the agent's state at scrape time. */
  private stateGauges(): void {
    const src = this.src;
    const registers = [this.registry];
    new Gauge({
      name: 'imagectl_images', help: 'Images the agent tracks in the engine, by lifecycle state', labelNames: ['state'], registers,
      collect() {
        const n = Object.fromEntries(LIVE_STATES.map((s) => [s, 0]));
        for (const p of src().images.values()) if (p.state in n) n[p.state]!++;
        for (const s of LIVE_STATES) this.set({ state: s }, n[s]!);
      },
    });
    new Gauge({
      name: 'imagectl_image_bytes', help: 'Size of the tracked images, by lifecycle state (shared layers counted in each image)', labelNames: ['state'], registers,
      collect() {
        const n = Object.fromEntries(LIVE_STATES.map((s) => [s, 0]));
        for (const p of src().images.values()) if (p.state in n) n[p.state]! += p.context.sizeBytes;
        for (const s of LIVE_STATES) this.set({ state: s }, n[s]!);
      },
    });
    new Gauge({
      name: 'imagectl_workloads', help: 'Workloads by phase', labelNames: ['phase'], registers,
      collect() {
        const n = Object.fromEntries(PHASES.map((s) => [s, 0]));
        const { workloads, statuses } = src();
        for (const w of workloads) n[statuses.get(`Workload/${w.metadata.name}`)?.phase ?? 'Pending']! += 1;
        for (const s of PHASES) this.set({ phase: s }, n[s] ?? 0);
      },
    });
    new Gauge({ name: 'imagectl_engine_up', help: '1 when the agent reaches the Docker engine', registers, collect() { this.set(src().engine.reachable ? 1 : 0); } });
    new Gauge({ name: 'imagectl_safe_mode', help: '1 in safe mode (the store takes no writes, or a stored policy is disabled over the cost budget): nothing is removed', registers, collect() { this.set(src().safeMode ? 1 : 0); } });
  }

  /** Removal errors are counted by the reconciler; the counter follows its count. */
  private collectRemovalErrors(): void {
    const n = this.src().passStats.removalErrors ?? 0;
    if (n > this.removalErrorsSeen) this.failures.inc({ reason: 'error' }, n - this.removalErrorsSeen);
    this.removalErrorsSeen = n;
  }

  /** A pass ended. */
  onPass(p: PassReport): void {
    this.passDuration.observe(p.durationMs / 1000);
    if (p.error === null) this.lastSuccess.set((Date.parse(p.at) + p.durationMs) / 1000);
    else {
      const s = this.src();
      // a disabled policy is safe mode too but fails no pass: with one, only the store's own safe mode error counts as `store`
      const store = s.safeMode !== null && ((s.disabledPolicies?.size ?? 0) === 0 || p.error.startsWith('safe mode: '));
      this.passErrors.inc({ kind: store ? 'store' : s.engine.reachable ? 'other' : 'engine' });
    }
  }

  private fromCommit(c: Commit): void {
    try {
      const images = new Map(c.putImages ?? []);
      for (const r of c.audit ?? []) this.fromRecord(r, r.image ? images.get(r.image) : undefined);
      for (const [key, status] of c.putStatuses ?? []) this.fromStatus(key, status as { events?: { time: string; reason: string }[] });
    } catch {
      this.lostCommits.inc(); // a record of an unexpected shape: counted, never in the way of the commit
    }
  }

  private fromRecord(r: LogRecord, image: PersistedImage | undefined): void {
    if (r.event === 'api.pull') this.pulls.inc({ result: r.to === 'succeeded' ? 'success' : 'failure' });
    // a refusal that moved the image back to in-use is a container's; any other is the engine's for good
    if (r.event === 'remove_failed') this.failures.inc({ reason: r.to === 'in-use' ? 'in_use' : 'refused' });
    const reason = removalReason(r);
    if (!reason) return;
    this.removals.inc({ reason });
    const freed = (r as { freedBytes?: number }).freedBytes ?? image?.context.sizeBytes ?? 0;
    this.reclaimed.inc(freed);
    const due = image && reason === 'age' ? removeAt(image.context) : null;
    if (due !== null) this.lateness.observe(Math.max(0, Date.parse(r.time) - due) / 1000);
  }

  /** Workload pulls, from the events of its status (each pull or failed pull adds one). */
  private fromStatus(key: string, status: { events?: { time: string; reason: string }[] }): void {
    const after = this.countedEvents.get(key) ?? this.startedAt - 1;
    let newest = after;
    for (const e of status.events ?? []) {
      const t = Date.parse(e.time);
      if (!(t > after)) continue;
      newest = Math.max(newest, t);
      if (e.reason === 'Pulled') this.pulls.inc({ result: 'success' });
      else if (e.reason === 'PullFailed') this.pulls.inc({ result: 'failure' });
    }
    this.countedEvents.set(key, newest);
  }

  /** The exposition text, and its content type. */
  async scrape(): Promise<{ text: string; contentType: string }> {
    return { text: await this.registry.metrics(), contentType: this.registry.contentType };
  }

  close(): void {
    this.store.off('commit', this.onCommit);
  }
}
