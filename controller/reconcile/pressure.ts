/**
 * Disk pressure, decided: a pure function of (candidates, usage, budgets). Nothing here measures
 * or removes; pressure-pass.ts and room.ts do, through the one removal path.
 *
 * - Candidates: idle images that a removal rule matches (its deleteAfter aside; agentDownloadedOnly
 *   honoured by the rule verdict), not protected (keep, a Workload, no rule, a refused removal),
 *   idle for at least minAge. An image whose child images are not all candidates is none.
 * - Order: least recently used first (the persisted lastUsedAt: a restart changes nothing), ties:
 *   more unique bytes first, then the ID; children before their parent.
 * - Budgets: each is checked on its own; those exceeded start removal, which goes on until every
 *   one of them is below its target; the shortest minAge among them applies.
 */
import type { DiskBudget } from '../../crd/imagepolicy/disk-pressure.js';
import { formatBytes } from '../../crd/fields/bytes.js';
import { formatDuration } from '../../crd/fields/duration.js';
import type { PersistedImage } from '../../statemachines/runtime.js';
import type { FsUsage } from '../disk/meter.js';

/** What was measured: the data root's filesystem and/or the engine's image bytes (null: not measured or not measurable). */
export interface Usage {
  fs: FsUsage | null;
  imageBytes: number | null;
}

/** The last measurement (what plan, get and describe show): the data root's filesystem always, image bytes for a byte budget. */
export interface DiskState {
  /** when measured, agent clock */
  at: number;
  /** the budgets of the policies that apply; empty without one */
  budgets: DiskBudget[];
  usage: Usage;
  /** why a budget could not be measured (a remote engine's data root, the engine away), or null */
  error: string | null;
}

export interface OrderInput {
  images: ReadonlyMap<string, PersistedImage>;
  /** image ID → its parent image's ID (observed) */
  parents: ReadonlyMap<string, string>;
  /** image ID → bytes no other image shares; missing: 0 */
  unique: ReadonlyMap<string, number> | null;
  now: number;
  minAgeMs: number;
  /** protected now, besides what the machines say (e.g. a Workload applied since the last pass) */
  protectedNow?: (id: string) => string | null;
}

export interface Order {
  /** candidate IDs, in the order they go */
  order: string[];
  /** why each other live image is not a candidate */
  excluded: Map<string, string>;
}

/** Why `p` is not a candidate (before the parent/child rule), or null. */
export function whyNot(p: PersistedImage, o: Pick<OrderInput, 'now' | 'minAgeMs' | 'protectedNow'>): string | null {
  const c = p.context;
  if (p.state === 'in-use') return `in use by ${c.usedBy.join(', ') || 'a container'}`;
  if (p.state === 'removable') return 'due for removal by its rule';
  if (p.state !== 'idle' || c.lastUsedAt === null) return `${p.state}, not idle`;
  if (c.protectedBy !== null) return `protected: ${c.protectedBy}`;
  if (c.rule === null) return 'no removal rule matches it';
  const now = o.protectedNow?.(c.id);
  if (now) return `protected: ${now}`;
  const idle = o.now - c.lastUsedAt;
  if (idle < o.minAgeMs) return `idle ${formatDuration(idle)}, less than minAge ${formatDuration(o.minAgeMs)}`;
  return null;
}

/** The candidates in eviction order, and why the others are not candidates. */
export function pressureOrder(o: OrderInput): Order {
  const excluded = new Map<string, string>();
  const cands = new Set<string>();
  for (const [id, p] of o.images) {
    if (p.state === 'removed') continue;
    const why = whyNot(p, o);
    if (why) excluded.set(id, why);
    else cands.add(id);
  }
  const children = new Map<string, string[]>();
  for (const [child, parent] of o.parents) if (o.images.has(child) && o.images.get(child)!.state !== 'removed') children.set(parent, [...(children.get(parent) ?? []), child]);
  // a parent goes only after all of its children, so a child that is no candidate keeps it
  for (let changed = true; changed; ) {
    changed = false;
    for (const id of cands) {
      const keeper = (children.get(id) ?? []).find((ch) => !cands.has(ch));
      if (!keeper) continue;
      cands.delete(id);
      excluded.set(id, `its child image ${keeper.slice(7, 19)} is not a candidate`);
      changed = true;
    }
  }
  const uniq = (id: string) => o.unique?.get(id) ?? 0;
  const sorted = [...cands].sort((a, b) => o.images.get(a)!.context.lastUsedAt! - o.images.get(b)!.context.lastUsedAt! || uniq(b) - uniq(a) || a.localeCompare(b));
  return { order: childrenFirst(sorted, children, o.parents), excluded };
}

/** `sorted`, with every parent moved to right after its last child. */
function childrenFirst(sorted: string[], children: ReadonlyMap<string, string[]>, parents: ReadonlyMap<string, string>): string[] {
  const waiting = new Map(sorted.map((id) => [id, (children.get(id) ?? []).length]));
  const deferred = new Set<string>();
  const out: string[] = [];
  const emit = (id: string) => {
    out.push(id);
    const p = parents.get(id);
    if (p === undefined || !waiting.has(p)) return;
    waiting.set(p, waiting.get(p)! - 1);
    if (waiting.get(p) === 0 && deferred.delete(p)) emit(p);
  };
  for (const id of sorted) {
    if (waiting.get(id) === 0) emit(id);
    else deferred.add(id);
  }
  return out;
}

/** Is `b` exceeded? null when what it is measured on is unknown. */
export function exceeded(b: DiskBudget, u: Usage, extraBytes = 0): boolean | null {
  if (b.form === 'percent') return u.fs ? percentWith(u.fs, extraBytes) >= b.high : null;
  return u.imageBytes === null ? null : u.imageBytes + extraBytes > b.max;
}

/** Is `b` at or below its target? */
export function belowTarget(b: DiskBudget, u: Usage, extraBytes = 0): boolean {
  if (b.form === 'percent') return !u.fs || percentWith(u.fs, extraBytes) < b.low;
  return u.imageBytes === null || u.imageBytes + extraBytes <= b.target;
}

const percentWith = (fs: FsUsage, extra: number) => (fs.totalBytes > 0 ? (100 * (fs.usedBytes + extra)) / fs.totalBytes : 0);

export interface Goal {
  /** the exceeded budgets: removal goes on until each is below its target */
  active: DiskBudget[];
  minAgeMs: number;
}

/** The budgets `u` exceeds (with `extraBytes` more used), and the minAge that applies; null when none is exceeded. */
export function pressureGoal(budgets: readonly DiskBudget[], u: Usage, extraBytes = 0): Goal | null {
  const active = budgets.filter((b) => exceeded(b, u, extraBytes) === true);
  if (active.length === 0) return null;
  return { active, minAgeMs: Math.min(...active.map((b) => b.minAgeMs)) };
}

export const reached = (g: Goal, u: Usage, extraBytes = 0): boolean => g.active.every((b) => belowTarget(b, u, extraBytes));

/** `usage` after `bytes` are freed, as predicted (removal frees the image's unique bytes). */
export function afterFreeing(u: Usage, bytes: number): Usage {
  return {
    fs: u.fs && { ...u.fs, usedBytes: u.fs.usedBytes - bytes, availableBytes: u.fs.availableBytes + bytes, usedPercent: percentWith(u.fs, -bytes) },
    imageBytes: u.imageBytes === null ? null : u.imageBytes - bytes,
  };
}

/** What pressure would remove now: the shortest prefix of `order` whose unique bytes reach the goal. */
export function wouldRemove(order: readonly string[], u: Usage, g: Goal | null, unique: ReadonlyMap<string, number> | null, extraBytes = 0): string[] {
  if (!g) return [];
  const out: string[] = [];
  let at = u;
  for (const id of order) {
    if (reached(g, at, extraBytes)) break;
    out.push(id);
    at = afterFreeing(at, unique?.get(id) ?? 0);
  }
  return out;
}

export const pct = (v: number) => `${v.toFixed(1).replace(/\.0$/, '')}%`;

/**
 * How the budget stands, for the audit reason: `/var/lib/docker 91% >= 85% (target 80%)`; with
 * `now`, where usage is since (a later removal of the same run): `(target 80%; now 83.2%)`.
 */
export function standing(b: DiskBudget, u: Usage, extraBytes = 0, now?: Usage): string {
  if (b.form === 'percent') {
    const at = (x: Usage) => pct(x.fs ? percentWith(x.fs, extraBytes) : 0);
    const later = now && now.fs && now.fs.usedBytes !== u.fs?.usedBytes ? `; now ${at(now)}` : '';
    return `${u.fs?.path ?? '?'} ${at(u)} >= ${pct(b.high)} (target ${pct(b.low)}${later})`;
  }
  const at = (x: Usage) => formatBytes((x.imageBytes ?? 0) + extraBytes);
  const later = now && now.imageBytes !== null && now.imageBytes !== u.imageBytes ? `; now ${at(now)}` : '';
  return `images ${at(u)} > ${formatBytes(b.max)} (target ${formatBytes(b.target)}${later})`;
}

/**
 * The audit reason of a removal for space: `disk pressure: /var/lib/docker 91% >= 85% (target 80%),
 * least recently used; frees 120MB`. `u` is the usage that started the run and `now` the usage
 * before this removal; `extraBytes` and `why` for room made before a pull.
 */
export function pressureReason(g: Goal, u: Usage, frees: number, o: { now?: Usage; extraBytes?: number; why?: string } = {}): string {
  const extra = o.extraBytes ?? 0;
  const b = g.active.find((x) => !belowTarget(x, o.now ?? u, extra)) ?? g.active[0]!;
  return `disk pressure: ${o.why ? `${o.why}: ` : ''}${standing(b, u, extra, o.now)}, least recently used; frees ${formatBytes(frees)}`;
}
