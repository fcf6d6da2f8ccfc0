/**
 * The system under test: the pure core (planPass, the image machines, the compiled policies, the
 * workload protection) driven the way the agent's shell drives it, with the shell's I/O replaced by
 * the model world. What the store keeps is kept as the store keeps it, JSON text (LevelDB's `json`
 * value encoding), so a crash restores from exactly that. A pass: list the world, plan, commit the
 * plan (write-ahead), remove what the plan says through the safe removal, commit the outcomes.
 *
 * A crash can strike between passes, after a plan was committed and before its removals, part-way
 * through a removal (the engine untagged the extra tags, the last one is still there), or after the
 * engine deleted an image and before the outcome was written; the agent then starts from its store
 * and runs a pass at once, as `imagectl agent` does. Every pass first puts back the tags an
 * interrupted removal took (the write-ahead `removable` record names them), as the agent's does.
 *
 * A removal by rule is left for the next pass when a container used the image after its plan was
 * made (a use among the engine's events since the plan's cursor): that pass counts from the use.
 *
 * The engine's container events reach the planner the way the
 * agent reads them: everything after the committed cursor, replayed after a restart, unless the
 * engine restarted while the agent was away, when that history is gone and counts as `unseen`.
 */
import { compilePolicies, type CompiledPolicies } from '../../crd/imagepolicy/match.js';
import type { ImagePolicy } from '../../crd/imagepolicy/type.js';
import type { Workload } from '../../crd/workload/type.js';
import { applyEvent, planPass, type PassInput, type PassPlan } from '../../controller/reconcile/plan.js';
import { workloadProtection } from '../../controller/reconcile/protection.js';
import type { DownloadRecord } from '../../controller/store/records.js';
import type { PersistedImage } from '../../statemachines/runtime.js';
import { idOf } from './catalog.js';
import type { World } from './world.js';

/** The planner under test: the real one, or a planted bug wrapped around it. */
export type Planner = (input: PassInput) => PassPlan;
export const realPlanner: Planner = (input) => planPass(input);

export type CrashPoint = 'between' | 'afterCommit' | 'midRemove' | 'afterRemove';

/** What the agent's shell does around the core (each one off only in a planted bug). */
export interface ShellOptions {
  restoreOnCrash: boolean;
  /** skip a removal whose image was used since its plan (controller/reconcile/removals.ts) */
  usesSincePlan?: boolean;
  /** put back the tags of an interrupted removal (removals.ts restoreInterrupted) */
  restoreTags?: boolean;
  /** replay the engine's events since the stored cursor at start (history.ts); false: start from the live stream */
  replay?: boolean;
}

/** Called after a pass's plan is written and before its removals: what the world does meanwhile. */
export type DuringRemoval = (plan: PassPlan) => void;

/** One pass's plan, for the properties to judge before its removals run. */
export interface PassRecord {
  now: number;
  /** the machines the pass started from */
  before: ReadonlyMap<string, PersistedImage>;
  plan: PassPlan;
  /** container events told to the planner: content → latest use */
  uses: Map<number, number>;
  unseenAt: number | null;
}

/** The agent's store: JSON text, as LevelDB keeps it. */
class Store {
  images = new Map<string, string>();
  downloads = new Map<string, string>();
  policies = new Map<string, string>();
  workloadRef: string | null = null;
  /** index into the engine's event log: every event before it is recorded */
  cursor = 0;
}

export class AgentSim {
  readonly store = new Store();
  images: ReadonlyMap<string, PersistedImage> = new Map();
  downloads = new Map<string, DownloadRecord>();
  policies: ImagePolicy[] = [];
  workloadRef: string | null = null;
  up = true;
  /** the engine restarted while the agent was away: the history since its cursor is gone */
  private missedRestart = false;
  private unwrittenDownloads = new Map<string, DownloadRecord>();
  /** compiled once per policy set, as the agent's module-level cache does (two agents in one process would defeat that one) */
  private compiled: { for: ImagePolicy[]; policies: CompiledPolicies } | null = null;

  constructor(
    private readonly world: World,
    private readonly planner: Planner,
    private readonly opts: ShellOptions,
    /** told each plan before its removals run */
    private readonly onPlan: (r: PassRecord) => void = () => undefined,
  ) {}

  /** The same agent, in the same state, on `world` (a copy of this one's), with other options. */
  clone(world: World, opts: ShellOptions, onPlan: (r: PassRecord) => void): AgentSim {
    const a = new AgentSim(world, this.planner, opts, onPlan);
    Object.assign(a.store, { images: new Map(this.store.images), downloads: new Map(this.store.downloads), policies: new Map(this.store.policies), workloadRef: this.store.workloadRef, cursor: this.store.cursor });
    Object.assign(a, { images: this.images, downloads: this.downloads, policies: this.policies, workloadRef: this.workloadRef, up: this.up });
    a.missedRestart = this.missedRestart;
    a.unwrittenDownloads = new Map(this.unwrittenDownloads);
    return a;
  }

  applyPolicy(p: ImagePolicy): void {
    this.store.policies.set(p.metadata.name, JSON.stringify(p));
    this.policies = [...this.policies.filter((q) => q.metadata.name !== p.metadata.name), p].sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
  }

  deletePolicy(name: string): void {
    this.store.policies.delete(name);
    this.policies = this.policies.filter((q) => q.metadata.name !== name);
  }

  setWorkload(ref: string | null): void {
    this.store.workloadRef = ref;
    this.workloadRef = ref;
  }

  /** The agent brought `content` in (a pull or load of an absent image): recorded, committed by the pass that follows. */
  downloaded(content: number, via: string): void {
    const r = { at: this.world.now, via };
    this.downloads = new Map(this.downloads).set(idOf(content), r);
    this.unwrittenDownloads.set(idOf(content), r);
  }

  engineRestarted(): void {
    if (!this.up) this.missedRestart = true;
  }

  /** Stop (SIGKILL, power off): memory is gone, the store stays. */
  stop(): void {
    this.up = false;
    this.unwrittenDownloads = new Map();
  }

  /** Start from the store (or, in the uninterrupted twin, from memory) and run the first pass. */
  start(): void {
    if (this.opts.restoreOnCrash) this.restore();
    if (this.opts.replay === false) {
      this.store.cursor = this.world.events.length;
      this.missedRestart = false;
    }
    this.up = true;
    this.pass();
  }

  private restore(): void {
    const s = this.store;
    this.images = new Map([...s.images].map(([k, v]) => [k, JSON.parse(v) as PersistedImage]));
    this.downloads = new Map([...s.downloads].map(([k, v]) => [k, JSON.parse(v) as DownloadRecord]));
    this.policies = [...s.policies.values()].map((v) => JSON.parse(v) as ImagePolicy).sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
    this.workloadRef = s.workloadRef;
  }

  /** A crash at `point` (during a pass, or between two), then a start from the store. */
  crash(point: CrashPoint): void {
    // the uninterrupted twin: the same moment is one whole pass
    if (!this.opts.restoreOnCrash) return this.pass();
    if (point !== 'between') this.pass(point);
    this.stop();
    this.start();
  }

  private compiledPolicies(): CompiledPolicies {
    if (this.compiled?.for !== this.policies) this.compiled = { for: this.policies, policies: compilePolicies(this.policies) };
    return this.compiled.policies;
  }

  private usesSinceCursor(): { uses: Map<number, number>; unseenAt: number | null } {
    const uses = new Map<number, number>();
    if (this.missedRestart) return { uses, unseenAt: this.world.now };
    for (const e of this.world.events.slice(this.store.cursor)) uses.set(e.content, Math.max(e.at, uses.get(e.content) ?? -Infinity));
    return { uses, unseenAt: null };
  }

  pass(crashAt?: Exclude<CrashPoint, 'between'>, during?: DuringRemoval): void {
    this.restoreInterrupted();
    const now = this.world.now;
    const before = this.images;
    const { uses, unseenAt } = this.usesSinceCursor();
    const protection = workloadProtection(this.workloadRef ? [{ apiVersion: 'imagectl.dev/v1alpha1', kind: 'Workload', metadata: { name: 'w' }, spec: { image: this.workloadRef } } as Workload] : [], new Map());
    const plan = this.planner({
      policies: this.compiledPolicies(), observed: this.world.observe(), persisted: before, downloads: this.downloads,
      workloadRefs: protection.refs, workloadIds: protection.ids, now,
      uses: new Map([...uses].map(([c, at]) => [idOf(c), { at, reason: `used by a container (event at ${at})` }])),
      ...(unseenAt !== null ? { unseen: { at: unseenAt, reason: 'the engine restarted while the agent was away' } } : {}),
    });
    // write ahead: the plan, its downloads and the event cursor in one batch
    for (const [id, p] of plan.changed) this.store.images.set(id, JSON.stringify(p));
    for (const [id, r] of this.unwrittenDownloads) this.store.downloads.set(id, JSON.stringify(r));
    this.unwrittenDownloads = new Map();
    this.store.cursor = this.world.events.length;
    this.missedRestart = false;
    this.images = plan.images;
    this.onPlan({ now, before, plan, uses, unseenAt });
    during?.(plan);
    if (crashAt !== 'afterCommit') this.removeAll(plan.remove, crashAt);
  }

  /** An interrupted removal's tags go back, from the write-ahead record, unless another image holds the name by now. */
  private restoreInterrupted(): void {
    if (this.opts.restoreTags === false) return;
    for (const [id, p] of this.images) {
      if (p.state !== 'removable') continue;
      const content = Number(id.slice(7, 8)) - 1;
      for (const t of p.context.tags) if (this.world.holderOf(t) === null) this.world.tag(content, t);
    }
  }

  /** A container used the image since the plan was made (its events came after the plan's cursor). */
  private usedSincePlan(content: number): boolean {
    if (this.opts.usesSincePlan === false) return false;
    return this.world.events.slice(this.store.cursor).some((e) => e.content === content);
  }

  /** The one removal path: each removal's outcome steps its machine; the outcomes are committed together. */
  private removeAll(ids: readonly string[], crashAt?: 'midRemove' | 'afterRemove'): void {
    const out = { images: new Map(this.images), changed: new Map<string, PersistedImage>(), audit: [] as PassPlan['audit'] };
    for (const id of ids) {
      const content = Number(id.slice(7, 8)) - 1;
      if (this.usedSincePlan(content)) continue; // left `removable`: the next pass counts from that use
      // the engine untagged the extra tags; the agent died before it deleted the last one
      if (crashAt === 'midRemove') return void this.world.agentUntagExtras(content);
      const outcome = this.world.agentRemove(content);
      if (crashAt === 'afterRemove') return; // the engine deleted it; the agent died before it wrote the outcome
      const current = out.images.get(id)!;
      if (outcome === 'in-use') applyEvent(out, current, { type: 'REMOVE_FAILED', now: this.world.now, inUse: true, error: 'conflict', usedBy: [] }, 'agent');
      else applyEvent(out, current, { type: 'REMOVED', now: this.world.now, reason: outcome === 'gone' ? 'found gone before removal' : `${current.context.reason}; removed` }, 'agent');
    }
    const removed = ids.filter((id) => out.images.get(id)?.state === 'removed');
    for (const [id, p] of out.changed) this.store.images.set(id, JSON.stringify(p));
    for (const id of removed) this.store.downloads.delete(id);
    if (removed.length) this.downloads = new Map([...this.downloads].filter(([id]) => !removed.includes(id)));
    this.images = out.images;
  }
}
