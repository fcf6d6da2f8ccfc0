/**
 * One reconcile pass, as a pure function of (desired, observed, persisted, now): the next state of
 * every image machine, the audit records of its transitions, which images to remove now, and when
 * the next removal falls due. The executors act on the result; nothing here does I/O.
 */
import type { AuditRecord } from '../../crd/api/audit.js';
import { sameList } from '../../crd/fields/lists.js';
import { decide, type CompiledPolicies } from '../../crd/imagepolicy/match.js';
import { normalize } from '../../crd/fields/reference.js';
import { observeChangesNothing, removeAt, type ImageEvent, type ObserveEvent } from '../../statemachines/image.js';
import { startImage, stepImage, type PersistedImage } from '../../statemachines/runtime.js';
import { usersByImage, type Observation, type ObservedImage } from '../engine/observation.js';
import type { DownloadRecord } from '../store/records.js';

export type { DownloadRecord } from '../store/records.js';

export interface PassInput {
  policies: CompiledPolicies;
  observed: Observation;
  persisted: ReadonlyMap<string, PersistedImage>;
  downloads: ReadonlyMap<string, DownloadRecord>;
  /** normalized reference → workload name, for images that workloads need */
  workloadRefs?: ReadonlyMap<string, string>;
  /** image ID → workload name, for the images that workloads run */
  workloadIds?: ReadonlyMap<string, string>;
  /**
   * Arriving through the agent right now (a pull or load in flight): a new image that matches is
   * not tracked until its download is recorded, so it is never mistaken for a discovered one.
   * An entry starting with `*` defers every new image (a load, whose references are not known
   * before it ends).
   */
  arriving?: ReadonlySet<string>;
  /** images whose removal the engine refused for good (no container used them): protected, with this reason */
  refused?: ReadonlyMap<string, { protectedBy: string }>;
  /** why nothing may be removed now (a disabled policy): every image is protected with it */
  suspended?: string | null;
  /** uses seen in the engine's events since the last pass (agent clock), by image ID */
  uses?: ReadonlyMap<string, { at: number; reason: string }>;
  /** history that could not be seen: every tracked image counts as used at `at` */
  unseen?: { at: number; reason: string };
  now: number;
  actor?: string;
}

export interface PassPlan {
  /** every tracked image after the pass */
  images: Map<string, PersistedImage>;
  /** the images whose persisted form changed (to be written) */
  changed: Map<string, PersistedImage>;
  audit: AuditRecord[];
  /** image IDs in `removable`: remove them now */
  remove: string[];
  /** the earliest moment an idle image falls due, or null */
  nextDueAt: number | null;
}

export function auditOf(p: PersistedImage, from: string | null, event: string, now: number, actor: string): AuditRecord {
  return {
    time: new Date(now).toISOString(),
    image: p.context.id,
    tags: p.context.tags,
    from,
    to: p.state,
    event,
    reason: p.context.reason,
    actor,
  };
}

/** Step one machine; collect an audit record when its state changed and note whether it changed at all. */
export function applyEvent(
  out: Pick<PassPlan, 'images' | 'changed' | 'audit'>,
  current: PersistedImage,
  event: ImageEvent,
  actor: string,
): PersistedImage {
  const s = stepImage(current, event);
  out.images.set(current.context.id, s.next);
  if (s.transitioned) out.audit.push(auditOf(s.next, s.from, event.type.toLowerCase(), event.now, actor));
  if (s.transitioned || !sameContext(s.next.context, current.context)) out.changed.set(current.context.id, s.next);
  return s.next;
}

/**
 * The same persisted context: every field equal, lists element by element. It stands for comparing
 * the two JSON texts, which cost a pass that steps every image (a policy changed) more than the
 * steps themselves.
 */
export function sameContext(a: object, b: object): boolean {
  if (a === b) return true;
  const x = a as Record<string, unknown>;
  const y = b as Record<string, unknown>;
  const keys = Object.keys(x);
  if (keys.length !== Object.keys(y).length) return false;
  for (const k of keys) {
    const u = x[k];
    const v = y[k];
    if (u === v || (Number.isNaN(u) && Number.isNaN(v))) continue;
    if (!(k in y) || typeof u !== 'object' || typeof v !== 'object' || u === null || v === null) return false;
    if (Array.isArray(u) && Array.isArray(v) ? !sameList(u, v) : JSON.stringify(u) !== JSON.stringify(v)) return false;
  }
  return true;
}

export function planPass(input: PassInput): PassPlan {
  const { now, persisted } = input;
  const actor = input.actor ?? 'agent';
  // `images` collects the stepped machines only; the unchanged rest is merged in at the end (a
  // steady-state pass then copies nothing)
  const out: PassPlan = { images: new Map(), changed: new Map(), audit: [], remove: [], nextDueAt: null };
  const users = usersByImage(input.observed.containers);
  const seen = new Set<string>();
  for (const img of input.observed.images) {
    seen.add(img.id);
    const next = observeImage(input, out, img, users.get(img.id) ?? [], actor);
    if (!next) continue;
    if (next.state === 'removable') out.remove.push(img.id);
    if (next.state === 'idle') {
      const due = removeAt(next.context);
      if (due !== null && (out.nextDueAt === null || due < out.nextDueAt)) out.nextDueAt = due;
    }
  }
  for (const [id, p] of persisted) {
    if (seen.has(id) || p.state === 'removed') continue;
    applyEvent(out, p, {
      type: 'OBSERVE', now, present: false, tags: p.context.tags, repoDigests: p.context.repoDigests,
      sizeBytes: p.context.sizeBytes, usedBy: [], rule: null, protectedBy: null,
    }, actor);
  }
  if (out.images.size === 0 && persisted instanceof Map) out.images = persisted;
  else {
    const stepped = out.images;
    out.images = new Map(persisted);
    for (const [id, p] of stepped) out.images.set(id, p);
  }
  return out;
}

/** The machine of one observed image, created when new (null: arriving, not tracked yet), and stepped. */
function observeImage(input: PassInput, out: PassPlan, img: ObservedImage, usedBy: string[], actor: string): PersistedImage | null {
  const { now } = input;
  const known = input.persisted.get(img.id);
  const dl = downloadOf(known, input.downloads.get(img.id));
  let current = known?.state === 'removed' ? arrivedAgain(known, now) : known;
  if (!current && !dl && input.arriving?.size && isArriving(input.arriving, img.tags, img.repoDigests)) return null;
  if (!current) {
    current = startImage({ id: img.id, now, agentDownloaded: dl !== undefined, downloadedAt: dl?.at ?? null, reason: dl ? `downloaded by the agent (${dl.via})` : 'discovered in the engine' });
    current.context.tags = img.tags;
    current.context.repoDigests = img.repoDigests;
    out.audit.push(auditOf(current, null, dl ? 'downloaded' : 'discovered', now, actor));
    out.changed.set(img.id, current);
  }
  current = recordUses(input, out, current, actor);
  const agentDownloaded = current.context.agentDownloaded || dl !== undefined;
  // unchanged references: keep using the tracked arrays, so that the fresh ones die young and the
  // checks below compare identities
  const tags = sameList(current.context.tags, img.tags) ? current.context.tags : img.tags;
  const repoDigests = sameList(current.context.repoDigests, img.repoDigests) ? current.context.repoDigests : img.repoDigests;
  const verdict = decide(input.policies, { id: img.id, tags, repoDigests, agentDownloaded }, input.workloadRefs);
  const wl = input.workloadIds?.get(img.id);
  const protectedBy = input.suspended ?? verdict.protectedBy ?? (wl ? `workload ${wl}` : null) ?? input.refused?.get(img.id)?.protectedBy ?? null;
  const ev: ObserveEvent = {
    type: 'OBSERVE', now, present: true, tags, repoDigests, sizeBytes: img.sizeBytes, usedBy, rule: verdict.rule, protectedBy,
    ...(dl ? { agentDownloaded: true, downloadedAt: dl.at } : {}),
  };
  // a steady-state observation: the machine would stay as it is, so it is not stepped
  return observeChangesNothing(current.state, current.context, ev) ? current : applyEvent(out, current, ev, actor);
}

/** Step the machine with the uses the list did not show (each one counts from the moment it happened). */
function recordUses(input: PassInput, out: PassPlan, current: PersistedImage, actor: string): PersistedImage {
  for (const use of [input.unseen, input.uses?.get(current.context.id)]) {
    if (!use) continue;
    const before = current;
    current = applyEvent(out, current, { type: 'USED', now: input.now, at: use.at, reason: use.reason }, actor);
    // an idle image used again stays idle: its countdown starts over, and the audit says why
    if (current.state === before.state && current.context.lastUsedAt !== before.context.lastUsedAt) out.audit.push(auditOf(current, before.state, 'used', input.now, actor));
  }
  return current;
}

function isArriving(arriving: ReadonlySet<string>, tags: readonly string[], repoDigests: readonly string[]): boolean {
  for (const a of arriving) if (a.startsWith('*')) return true;
  return [...tags, ...repoDigests].some((r) => arriving.has(normalize(r)));
}

/**
 * A removed image that is back is a new arrival, first seen now (SPEC §2: agentDownloaded is for an
 * image the agent brought in that was not there before): it is the agent's only through a download
 * recorded since the removal, not through the one that brought the earlier copy (whose record stays
 * when someone else deleted it).
 */
const arrivedAgain = (p: PersistedImage, now: number): PersistedImage => ({ state: p.state, context: { ...p.context, agentDownloaded: false, downloadedAt: null, firstSeenAt: now } });

/** The download record that belongs to the copy of the image the engine holds now, if any. */
function downloadOf(known: PersistedImage | undefined, dl: DownloadRecord | undefined): DownloadRecord | undefined {
  if (!dl || !known) return dl;
  if (known.state === 'removed') return dl.at < (known.context.removedAt ?? -Infinity) ? undefined : dl;
  // a copy the agent did not bring: a record from before its first sight is an earlier copy's
  return !known.context.agentDownloaded && dl.at < known.context.firstSeenAt ? undefined : dl;
}
