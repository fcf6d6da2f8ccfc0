/**
 * The soak's oracle, independent of the agent: it follows the engine's own event stream (GET /events
 * on a connection of its own, subscribed again with `since=` after the engine restarts, and squared
 * with a listing of the engine's containers and images each time it connects) and keeps, from the
 * events alone, which containers exist and which image each one uses, every image's references, and
 * the last container event of every image (a use: create, start, die, destroy, ...).
 *
 * Each image delete is noted at the moment the stream reports it, with the containers that existed
 * then; it is judged a few seconds later, once the schedule has said which deletes it made itself
 * (`ownDelete`, with when its `docker rmi` was under way): every other one is the agent's, and must be of an image that no container used at
 * that moment, that no keep protected and some rule matched, and whose last use (or first sight) lies
 * at least the winning deleteAfter before it, under one of the policy sets in force just before.
 * A delete is also allowed as a removal for space (SPEC §8), under a set with a disk budget, while
 * the disk was full (`pressure`, told by the run: the disk-full fault or its own statfs samples):
 * of an image no container used, some rule matched (its deleteAfter aside) and no keep protected,
 * idle for at least the shortest minAge, and with no older candidate left behind: least recently
 * used first. The agent may count an image as used later than the events say (it first saw it
 * later, or its history had a gap after a restart, SPEC §2), never earlier, so "older" is judged
 * against the latest moment the agent may have counted (`restartedAfter`).
 * Lateness: an image due under the current policies and still there 2 s later.
 */
import type Dockerode from 'dockerode';
import { LineSplitter } from '../../crd/api/lines.js';
import { budgetOf, verdictOf, type PolicyHistory, type SoakPolicy } from './policies.js';

/** How long before a delete the agent may have planned it (a policy may have changed meanwhile). */
export const DECISION_WINDOW_MS = 2_000;
/** How long the oracle waits before judging a delete (the schedule registers its own deletes by then). */
const JUDGE_AFTER_MS = 4_000;
export const LATE_MS = 2_000;
/** How far apart two last uses must lie for the oracle to call one older (the agent counts from its passes, 1 s apart, and events). */
const LRU_SLACK_MS = 2_500;

interface EngineEvent {
  Type: string;
  Action: string;
  Actor?: { ID?: string; Attributes?: Record<string, string> };
  id?: string;
  timeNano: number;
}

interface OImage {
  refs: Set<string>;
  /** references it lost, with when: the agent untags the extra ones just before it deletes */
  lost: Map<string, number>;
  firstSeen: number;
  /** when its references last changed: a tag that makes a rule match makes it due from then at the earliest */
  refsAt: number;
}

export interface NotedDelete {
  id: string;
  at: number;
  refs: string[];
  users: string[];
  /** last use, or first sight when later */
  since: number;
  /** the container event of that last use (or "first sight") */
  sinceBy: string;
  /** when its references last changed */
  refsAt: number;
  /** the other images present then that no container used: the candidates for space it may have gone before */
  others: { id: string; refs: string[]; since: number; latest: number }[];
}

export interface Violation {
  image: string;
  at: string;
  what: string;
  /** the agent's own audit records of the image, for the diagnosis (never for the judgement) */
  agentAudit?: string[];
}

export interface AgentRemoval {
  id: string;
  at: number;
  /** ms after it fell due under the current policies (null: not due by the oracle's reckoning) */
  afterDue: number | null;
  /** allowed only as a removal for space (no age rule had it due) */
  forSpace: boolean;
}

export class EngineOracle {
  private readonly images = new Map<string, OImage>();
  private readonly containers = new Map<string, { image: string | null; name: string; since: number }>();
  /** the container events of each image, the latest last (a bounded tail) */
  private readonly uses = new Map<string, { at: number; by: string; cid: string }[]>();
  /** containers that came and went within this many ms do not count as uses (0: all count) */
  ignoreShorterThanMs = 0;
  /** containers that did not count as uses for that reason */
  ignoredContainers = 0;
  /** containers the engine created (its create events) */
  containersCreated = 0;
  private readonly seen = new Set<string>();
  private lastNano = 0;
  private queue: Promise<void> = Promise.resolve();
  private stream: NodeJS.ReadableStream | null = null;
  private stopped = false;
  private readonly noted: NotedDelete[] = [];
  /** the schedule's own `docker rmi` calls that deleted each image: from the request to the answer (an image may come back and go again) */
  private readonly own = new Map<string, { from: number; to: number }[]>();
  private readonly inFlight = new Set<number>();
  private lateFlagged = new Set<string>();
  readonly violations: Violation[] = [];
  readonly agentRemovals: AgentRemoval[] = [];
  readonly ownRemovals: string[] = [];
  readonly late: { id: string; dueAt: number; duringFault: boolean }[] = [];
  /** images gone from a listing after a reconnect, whose delete the stream never told */
  unseenDeletes = 0;
  /** images a listing after a reconnect found, whose arrival the stream never told (their first sight is unknown) */
  unseenArrivals = 0;
  private connected = false;
  reconnects = 0;
  events = 0;
  /** was the disk full enough for a budget with this high threshold at some moment of [from, to]? (told by the run) */
  pressure: (from: number, to: number, highPercent: number) => boolean = () => false;
  /** the end of the last agent or engine restart at or after `t` (the agent may have counted a use then), or -Infinity */
  restartedAfter: (t: number) => number = () => -Infinity;

  constructor(
    private readonly docker: Dockerode,
    private readonly policies: PolicyHistory,
  ) {}

  private lastUse(id: string): { at: number; by: string } | undefined {
    return this.uses.get(id)?.at(-1);
  }

  /** Subscribe (again), squaring the tables with a listing first. Resolves once subscribed. */
  async connect(): Promise<void> {
    await this.resync();
    const since = this.lastNano ? `${Math.floor(this.lastNano / 1e9)}.${String(this.lastNano % 1e9).padStart(9, '0')}` : undefined;
    // the engine takes `since` as <seconds>.<nanoseconds> text, finer than the typings' number
    const opts = { filters: JSON.stringify({ type: ['container', 'image'] }), ...(since ? { since } : {}) } as unknown as Dockerode.GetEventsOptions;
    const stream = await this.docker.getEvents(opts);
    this.stream = stream;
    this.connected = true;
    const lines = new LineSplitter();
    stream.on('data', (c: Buffer) => {
      for (const l of lines.push(c)) this.enqueue(l);
    });
    const again = () => {
      if (this.stream !== stream || this.stopped) return;
      this.stream = null;
      this.reconnects++;
      void this.reconnect();
    };
    stream.on('end', again);
    stream.on('error', again);
    stream.on('close', again);
  }

  private async reconnect(): Promise<void> {
    while (!this.stopped) {
      try {
        await this.connect();
        return;
      } catch {
        await new Promise((r) => setTimeout(r, 200));
      }
    }
  }

  stop(): void {
    this.stopped = true;
    (this.stream as unknown as { destroy?: () => void })?.destroy?.();
  }

  /** Everything received so far has been handled. */
  settled(): Promise<void> {
    return this.queue;
  }

  private enqueue(line: string): void {
    let e: EngineEvent;
    try {
      e = JSON.parse(line) as EngineEvent;
    } catch {
      return;
    }
    const nano = /"timeNano":\s*(\d+)/.exec(line)?.[1];
    const key = `${nano} ${e.Type} ${e.Action} ${e.Actor?.ID ?? e.id}`;
    if (this.seen.has(key)) return; // `since` replays the last moments again
    this.seen.add(key);
    if (nano) this.lastNano = Math.max(this.lastNano, Number(nano));
    this.events++;
    this.queue = this.queue.then(() => this.handle(e)).catch(() => undefined);
  }

  private async handle(e: EngineEvent): Promise<void> {
    const at = Math.floor(e.timeNano / 1e6);
    const actor = e.Actor?.ID ?? e.id ?? '';
    const attrs = e.Actor?.Attributes ?? {};
    if (e.Type === 'container') return this.containerEvent(e.Action, actor, attrs, at);
    if (e.Action === 'delete') return this.noteDelete(actor, at);
    if (e.Action === 'tag' && attrs.name) this.learnRef(actor, attrs.name, at);
    // pull names a reference; tag, untag, import and load an ID: the engine says what it holds now
    if (['pull', 'tag', 'untag', 'import', 'load'].includes(e.Action)) await this.refresh(actor, at);
  }

  private async containerEvent(action: string, cid: string, attrs: Record<string, string>, at: number): Promise<void> {
    if (action === 'create') this.containersCreated++;
    let c = this.containers.get(cid);
    if (!c) {
      c = { image: await this.imageOfContainer(cid, attrs.image), name: attrs.name ?? cid.slice(0, 12), since: at };
      this.containers.set(cid, c);
    }
    if (c.image) {
      const list = this.uses.get(c.image) ?? [];
      list.push({ at, by: `container ${c.name} ${action}`, cid });
      this.uses.set(c.image, list.sort((a, b) => a.at - b.at).slice(-64));
    }
    if (action !== 'destroy') return;
    this.containers.delete(cid);
    // e.g. a create the engine failed (disk full) and cleaned up at once: main does not claim to see those
    if (c.image && at - c.since < this.ignoreShorterThanMs) {
      this.uses.set(c.image, (this.uses.get(c.image) ?? []).filter((u) => u.cid !== cid));
      this.ignoredContainers++;
    }
  }

  private async imageOfContainer(cid: string, ref: string | undefined): Promise<string | null> {
    if (ref?.startsWith('sha256:')) return ref;
    const info = await this.docker.getContainer(cid).inspect().catch(() => null);
    if (info?.Image) return info.Image;
    if (!ref) return null;
    const full = ref.includes(':') && ref.lastIndexOf(':') > ref.lastIndexOf('/') ? ref : `${ref}:latest`;
    for (const [id, img] of this.images) if (img.refs.has(full)) return id;
    return null;
  }

  private image(id: string, at: number): OImage {
    let img = this.images.get(id);
    if (!img) this.images.set(id, (img = { refs: new Set(), lost: new Map(), firstSeen: at, refsAt: at }));
    return img;
  }

  private learnRef(id: string, ref: string, at: number): void {
    if (!id.startsWith('sha256:')) return;
    for (const [other, img] of this.images) {
      if (other === id || !img.refs.delete(ref)) continue;
      img.lost.set(ref, at);
      img.refsAt = at;
    }
    const img = this.image(id, at);
    if (img.refs.has(ref)) return;
    img.refs.add(ref);
    img.refsAt = at;
  }

  /** What the engine holds for `ref` now (an ID or a reference). */
  private async refresh(ref: string, at: number): Promise<void> {
    const info = await this.docker.getImage(ref).inspect().catch(() => null);
    if (!info) return;
    const img = this.image(info.Id, at);
    const refs = [...(info.RepoTags ?? []), ...(info.RepoDigests ?? [])].filter((r) => !r.startsWith('<none>'));
    for (const r of refs) this.learnRef(info.Id, r, at);
    for (const r of [...img.refs]) {
      if (refs.includes(r)) continue;
      img.refs.delete(r);
      img.lost.set(r, at);
      img.refsAt = at;
    }
  }

  private noteDelete(id: string, at: number): void {
    const img = this.images.get(id);
    const refs = img ? [...new Set([...img.refs, ...[...img.lost].filter(([, t]) => t >= at - DECISION_WINDOW_MS - 1_000).map(([r]) => r)])] : [];
    const users = [...this.containers.values()].filter((c) => c.image === id).map((c) => c.name);
    const use = this.lastUse(id);
    const first = img?.firstSeen ?? -Infinity;
    const since = Math.max(use?.at ?? -Infinity, first);
    const others: NotedDelete['others'] = [];
    for (const [oid, o] of this.images) {
      if (oid === id || [...this.containers.values()].some((c) => c.image === oid)) continue;
      const lo = Math.max(this.lastUse(oid)?.at ?? -Infinity, o.firstSeen);
      others.push({ id: oid, refs: [...o.refs], since: lo, latest: Math.max(lo, this.restartedAfter(lo)) });
    }
    this.noted.push({ id, at, refs, users, since, sinceBy: use && use.at >= first ? use.by : 'first sight', refsAt: img?.refsAt ?? -Infinity, others });
    this.images.delete(id);
    this.uses.delete(id);
  }

  /** The schedule deleted `id` itself (its `docker rmi` answered `Deleted`). */
  ownDelete(id: string, from: number, to: number): void {
    this.own.set(id, [...(this.own.get(id) ?? []), { from, to }]);
  }

  /** A `docker rmi` of the schedule's is under way since `from`: deletes from then on wait for its answer. */
  ownBegin(from: number): () => void {
    this.inFlight.add(from);
    return () => this.inFlight.delete(from);
  }

  /** Was the delete at `at` the schedule's? (it happened while the schedule's `docker rmi` was under way) */
  private takeOwn(id: string, at: number): boolean {
    const calls = this.own.get(id) ?? [];
    // the engine's event time and this process's clock are the same clock, read in different places
    const i = calls.findIndex((c) => at >= c.from - 50 && at <= c.to + 50);
    if (i < 0) return false;
    calls.splice(i, 1);
    return true;
  }

  /** List the engine: containers and images the stream could not tell (before it was connected, or across a restart). */
  private async resync(): Promise<void> {
    const now = Date.now();
    const [containers, images] = await Promise.all([this.docker.listContainers({ all: true }), this.docker.listImages()]);
    const live = new Set(containers.map((c) => c.Id));
    for (const cid of [...this.containers.keys()]) if (!live.has(cid)) this.containers.delete(cid);
    for (const c of containers) if (!this.containers.has(c.Id)) this.containers.set(c.Id, { image: c.ImageID, name: c.Names?.[0]?.slice(1) ?? c.Id.slice(0, 12), since: c.Created * 1000 });
    const present = new Set(images.map((i) => i.Id));
    for (const id of [...this.images.keys()]) {
      if (present.has(id)) continue;
      this.images.delete(id);
      this.unseenDeletes++;
    }
    for (const i of images) {
      // an arrival the stream never told (the engine going down mid-pull): when is unknown, so only its uses count
      if (this.connected && !this.images.has(i.Id)) {
        this.image(i.Id, -Infinity);
        this.unseenArrivals++;
      }
      this.image(i.Id, now);
      for (const r of [...(i.RepoTags ?? []), ...(i.RepoDigests ?? [])]) if (!r.startsWith('<none>')) this.learnRef(i.Id, r, now);
    }
  }

  /** Judge the deletes old enough to judge; check lateness. Call every few hundred ms. */
  tick(now: number, faultActive: (from: number, to: number) => boolean): void {
    const waiting = (at: number) => [...this.inFlight].some((from) => from <= at + 50);
    while (this.noted.length && this.noted[0]!.at <= now - JUDGE_AFTER_MS && !waiting(this.noted[0]!.at)) this.judge(this.noted.shift()!);
    for (const [id, img] of this.images) {
      if ([...this.containers.values()].some((c) => c.image === id)) continue;
      const v = this.policies.verdictAt([...img.refs], now);
      if (v.kept || v.deleteAfterMs === null) continue;
      const dueAt = Math.max(Math.max(this.lastUse(id)?.at ?? -Infinity, img.firstSeen) + v.deleteAfterMs, v.since, img.refsAt);
      const key = `${id} ${dueAt}`;
      if (now <= dueAt + LATE_MS || this.lateFlagged.has(key)) continue;
      this.lateFlagged.add(key);
      this.late.push({ id, dueAt, duringFault: faultActive(dueAt - v.deleteAfterMs, now) });
    }
  }

  /** Judge every delete noted so far (at the end of a run). */
  judgeAll(): void {
    while (this.noted.length) this.judge(this.noted.shift()!);
  }

  private judge(d: NotedDelete): void {
    if (this.takeOwn(d.id, d.at)) {
      this.ownRemovals.push(d.id);
      return;
    }
    const iso = new Date(d.at).toISOString();
    const sets = this.policies.during(d.at - DECISION_WINDOW_MS, d.at);
    const allowed = sets.map((s) => verdictOf(s, d.refs)).filter((v) => !v.kept && v.deleteAfterMs !== null && d.at >= d.since + v.deleteAfterMs);
    const space = sets.map((s) => this.forSpace(s, d));
    const now = this.policies.verdictAt(d.refs, d.at);
    const afterDue = now.deleteAfterMs === null || now.kept ? null : d.at - Math.max(d.since + now.deleteAfterMs, now.since, d.refsAt);
    this.agentRemovals.push({ id: d.id, at: d.at, afterDue: allowed.length ? afterDue : null, forSpace: !allowed.length && space.includes(null) });
    if (d.users.length) this.violations.push({ image: d.id, at: iso, what: `deleted while containers ${d.users.join(', ')} used it` });
    else if (!allowed.length && !space.includes(null)) {
      const why = [...new Set(sets.map((s) => verdictOf(s, d.refs)).map((v) => (v.kept ? 'kept' : v.deleteAfterMs === null ? 'no rule matches' : `due ${d.since + v.deleteAfterMs - d.at} ms later (deleteAfter ${v.deleteAfterMs} ms)`)))];
      this.violations.push({ image: d.id, at: iso, what: `deleted by the agent [${d.refs.join(', ')}]; last use ${new Date(d.since).toISOString()} (${d.sinceBy}): ${why.join('; ')}; for space: ${[...new Set(space)].join('; ')}` });
    }
  }

  /** Why `d` was no allowed removal for space under `set` (null: it was one). */
  private forSpace(set: ReadonlyMap<string, SoakPolicy>, d: NotedDelete): string | null {
    const budget = budgetOf(set);
    if (!budget) return 'no disk budget';
    const v = verdictOf(set, d.refs);
    if (v.kept) return 'kept';
    if (v.deleteAfterMs === null) return 'no rule matches';
    if (d.at < d.since + budget.minAgeMs - 50) return `idle ${d.at - d.since} ms, less than minAge ${budget.minAgeMs} ms`;
    if (!this.pressure(d.at - DECISION_WINDOW_MS - 1_000, d.at, budget.highPercent)) return `the disk was not ${budget.highPercent}% full`;
    const older = d.others.find((o) => {
      const w = verdictOf(set, o.refs);
      // one due by its age rule is the age path's (the agent holds it removable)
      if (w.kept || w.deleteAfterMs === null || d.at >= o.since + w.deleteAfterMs - 50) return false;
      return o.latest + LRU_SLACK_MS < d.since;
    });
    return older ? `not least recently used: ${older.id.slice(7, 19)} [${older.refs.join(', ')}], last used ${new Date(older.latest).toISOString()} at the latest, was a candidate` : null;
  }
}
