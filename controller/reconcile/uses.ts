/**
 * Every use counts: a container's create, start, die and destroy events are uses of its image at
 * that moment, whether or not a list ever showed the container (one that lives 40 ms is gone before
 * the pass its events cause). Each is resolved to the image ID right away (the container's image as
 * last observed, else the reference it names, as the engine resolves it now) and kept until a pass
 * records it; a removal checks for uses that came in since its plan. The cursor is the last event
 * taken: committed with the uses it covers, it is where the replay starts (history.ts).
 */
import { normalize, normalizeWithDefaultTag } from '../../crd/fields/reference.js';
import type { EngineClient } from '../engine/client.js';
import type { Observation } from '../engine/observation.js';
import type { EventCursor } from '../store/store.js';
import { Serial } from './loop.js';

/** One engine event, as the stream and the replay give it; `timeNano` as the decimal text it was sent as. */
export interface EngineEvent {
  Type: string;
  Action: string;
  Actor?: { ID?: string; Attributes?: Record<string, string> };
  id?: string;
  from?: string;
  timeNano: string;
}

/** A use of an image, at the engine's time (ms). */
export interface Use {
  at: number;
  reason: string;
}

/** A stretch of the engine's history that could not be seen: every image counts as used at `until`. */
export interface Gap {
  since: number;
  until: number;
}

const USE_ACTIONS = new Set(['create', 'start', 'die', 'destroy']);
const IMAGE_ID = /^sha256:[0-9a-f]{64}$/;

/** Parse one line of the event stream; null for what is not an event. */
export function parseEvent(line: string): EngineEvent | null {
  let e: EngineEvent;
  try {
    e = JSON.parse(line) as EngineEvent;
  } catch {
    return null;
  }
  // the nanoseconds exceed a double's precision: keep the text
  const nano = /"timeNano":\s*(\d+)/.exec(line)?.[1];
  if (!nano || typeof e?.Type !== 'string') return null;
  return { ...e, timeNano: nano };
}

export const eventKey = (e: EngineEvent) => `${e.timeNano} ${e.Type} ${e.Action} ${e.Actor?.ID ?? e.id ?? ''}`;
export const nanoToMs = (nano: string) => Number(nano.slice(0, -6) || '0');
/** `<seconds>.<nanoseconds>`, as the engine's `since` and `until` take them */
export const nanoToParam = (nano: string) => `${nano.slice(0, -9) || '0'}.${nano.slice(-9).padStart(9, '0')}`;
export const msToNano = (ms: number) => `${Math.floor(ms)}000000`;

export class UseLog {
  private pending = new Map<string, Use>();
  private gap: Gap | null = null;
  private cursor: EventCursor | null = null;
  private readonly queue = new Serial();
  /** container ID → image ID, from the last observation and the events since */
  private containers = new Map<string, string>();
  /** the images of the last observation; null after an image event (tags may have moved) */
  private images: Observation['images'] | null = null;
  /** normalized reference → image ID, built from `images` when an event first needs it */
  private refs: Map<string, string> | null = null;
  /** each listed reference's normalized form: the lists repeat themselves pass after pass */
  private normalized = new Map<string, string>();

  constructor(private readonly docker: EngineClient) {}

  /** The cursor the store had at start. */
  restore(c: EventCursor | null): void {
    this.cursor = c;
  }

  current(): EventCursor | null {
    return this.cursor;
  }

  /** The history up to `nano` is taken: with no cursor yet, it starts here; the engine is back. */
  begin(nano: string): void {
    this.cursor ??= { timeNano: nano, key: null };
    if (this.cursor.engineGone) this.cursor = { timeNano: this.cursor.timeNano, key: this.cursor.key };
  }

  /** Every event taken is in `committed`, with its uses. */
  allRecorded(committed: EventCursor | null): boolean {
    return this.pending.size === 0 && !this.gap && this.cursor?.timeNano === committed?.timeNano && this.cursor?.key === committed?.key;
  }

  /** Take one event, in order: a use (resolved to the image ID now), and the cursor. */
  take(e: EngineEvent): Promise<void> {
    return this.queue.run(async () => {
      if (e.Type === 'image') this.images = this.refs = null;
      if (e.Type === 'container' && USE_ACTIONS.has(e.Action)) await this.use(e);
      if (!this.cursor || BigInt(e.timeNano) >= BigInt(this.cursor.timeNano)) this.cursor = { timeNano: e.timeNano, key: eventKey(e) };
    });
  }

  /** Every event taken so far has been resolved. */
  settled(): Promise<void> {
    return this.queue.run(async () => undefined);
  }

  noteGap(g: Gap): void {
    this.gap = this.gap ? { since: Math.min(this.gap.since, g.since), until: Math.max(this.gap.until, g.until) } : g;
  }

  /** Has a use of `id` come in that no pass recorded yet? */
  usedSincePlan(id: string): boolean {
    return this.pending.has(id);
  }

  /** The uses, the gap and the cursor for a pass to record; `putBack` when its commit failed. */
  drain(): { uses: Map<string, Use>; gap: Gap | null; cursor: EventCursor | null } {
    const out = { uses: this.pending, gap: this.gap, cursor: this.cursor };
    this.pending = new Map();
    this.gap = null;
    return out;
  }

  putBack(d: { uses: ReadonlyMap<string, Use>; gap: Gap | null }): void {
    for (const [id, u] of d.uses) this.note(id, u);
    if (d.gap) this.noteGap(d.gap);
  }

  /** What a pass observed: which image each container runs, which image each reference names. */
  learn(o: Observation): void {
    this.containers = new Map(o.containers.map((c) => [c.id, c.imageId]));
    // the reference index is built when an event names a reference, from normalized forms kept
    // across passes: normalizing every tag on every pass was a third of what the agent allocated
    // under B6's container churn (300 of 910 MB a minute)
    this.images = o.images;
    this.refs = null;
  }

  private referenceIndex(): Map<string, string> | null {
    if (this.refs || !this.images) return this.refs;
    const refs = new Map<string, string>();
    const normalized = new Map<string, string>();
    const norm = (r: string, f: (s: string) => string) => {
      const n = this.normalized.get(r) ?? f(r);
      normalized.set(r, n);
      return n;
    };
    for (const i of this.images) {
      for (const t of i.tags) refs.set(norm(t, normalizeWithDefaultTag), i.id);
      for (const r of i.repoDigests) refs.set(norm(r, normalize), i.id);
    }
    // only the references listed now are kept
    this.normalized = normalized;
    return (this.refs = refs);
  }

  private note(id: string, u: Use): void {
    const prev = this.pending.get(id);
    if (!prev || u.at > prev.at) this.pending.set(id, u);
  }

  private async use(e: EngineEvent): Promise<void> {
    const cid = e.Actor?.ID ?? e.id ?? '';
    const id = await this.imageOf(cid, e.Actor?.Attributes?.image ?? e.from);
    if (e.Action === 'destroy') this.containers.delete(cid);
    else if (id) this.containers.set(cid, id);
    if (!id) return;
    const at = nanoToMs(e.timeNano);
    const name = e.Actor?.Attributes?.name ?? cid.slice(0, 12);
    this.note(id, { at, reason: `used by container ${name} (engine event ${e.Action} at ${new Date(at).toISOString()})` });
  }

  private async imageOf(container: string, ref: string | undefined): Promise<string | null> {
    const known = this.containers.get(container);
    if (known) return known;
    if (!ref) return null;
    if (IMAGE_ID.test(ref)) return ref;
    const indexed = this.referenceIndex()?.get(ref.includes('@') ? normalize(ref) : normalizeWithDefaultTag(ref));
    if (indexed) return indexed;
    // the image as the engine resolves the reference now (an ID prefix, or tags moved since the last observation)
    return this.docker.inspectImage(ref).then((i) => i.Id, () => null);
  }
}
