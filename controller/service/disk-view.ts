/** The disk budgets in plan, describe and get: pure views of the reconciler's last measurement. */
import type { DiskBudgetView, DiskView, EvictionView } from '../../crd/api/disk.js';
import type { DiskBudget } from '../../crd/imagepolicy/disk-pressure.js';
import type { ImageBytes } from '../disk/meter.js';
import type { PersistedImage } from '../../statemachines/runtime.js';
import { exceeded, pressureGoal, pressureOrder, wouldRemove, type Order, type Usage } from '../reconcile/pressure.js';
import type { LoopSnapshot } from '../reconcile/state.js';

const budgetView = (b: DiskBudget, exceededNow: boolean | null): DiskBudgetView =>
  b.form === 'percent'
    ? { policy: b.policy, form: b.form, highThresholdPercent: b.high, lowThresholdPercent: b.low, minAge: b.minAge, exceeded: exceededNow }
    : { policy: b.policy, form: b.form, maxImageBytes: b.max, targetImageBytes: b.target, minAge: b.minAge, exceeded: exceededNow };

/** The eviction order over `images` (the snapshot's, or a preview's) under `budgets`, with the minAge that applies. */
function orderOf(snap: LoopSnapshot, budgets: readonly DiskBudget[], usage: Usage, images: ReadonlyMap<string, PersistedImage>, unique: ReadonlyMap<string, number> | null): Order | null {
  if (budgets.length === 0) return null;
  const goal = pressureGoal(budgets, usage);
  const minAgeMs = goal?.minAgeMs ?? Math.min(...budgets.map((b) => b.minAgeMs));
  const parents = new Map((snap.lastObservation?.images ?? []).flatMap((i) => (i.parentId ? [[i.id, i.parentId] as [string, string]] : [])));
  return pressureOrder({ images, parents, unique, now: snap.now, minAgeMs });
}

/** What was last measured, with the engine's image bytes filled in from `ib` when the pass had no reason to ask. */
function usageOf(snap: LoopSnapshot, ib: ImageBytes | null): Usage {
  const u = snap.disk?.usage ?? { fs: null, imageBytes: null };
  return { fs: u.fs, imageBytes: u.imageBytes ?? ib?.imageBytes ?? null };
}

/**
 * `plan -o json`'s `disk` under `budgets` (the policies in force, or a server dry run's): null
 * without a budget. `images`: the plan's images (after its age removals).
 */
export function diskView(snap: LoopSnapshot, budgets: readonly DiskBudget[], images: ReadonlyMap<string, PersistedImage>, ib: ImageBytes | null): DiskView | null {
  if (budgets.length === 0) return null;
  const usage = usageOf(snap, ib);
  const unique = ib?.unique ?? null;
  const goal = pressureGoal(budgets, usage);
  const order = orderOf(snap, budgets, usage, images, unique);
  const view: DiskView = {
    underPressure: goal !== null,
    wouldRemove: wouldRemove(order?.order ?? [], usage, goal, unique),
    error: snap.disk ? snap.disk.error : 'not measured yet',
    measuredAt: snap.disk ? new Date(snap.disk.at).toISOString() : null,
    budgets: budgets.map((b) => budgetView(b, exceeded(b, usage))),
  };
  // the budget that acts first: the lowest threshold of each form
  const percent = budgets.filter((b) => b.form === 'percent').sort((a, b) => a.high - b.high)[0];
  const bytes = budgets.filter((b) => b.form === 'bytes').sort((a, b) => a.max - b.max)[0];
  if (percent) Object.assign(view, { path: usage.fs?.path ?? null, usedPercent: usage.fs ? Number(usage.fs.usedPercent.toFixed(2)) : null, highThresholdPercent: percent.high, lowThresholdPercent: percent.low });
  if (bytes) Object.assign(view, { imageBytes: usage.imageBytes, maxImageBytes: bytes.max, targetImageBytes: bytes.target });
  return view;
}

/** Where image `id` stands in the eviction order (`describe image`); null without a budget. */
export function evictionOf(snap: LoopSnapshot, id: string, ib: ImageBytes | null): EvictionView | null {
  const budgets = snap.disk?.budgets ?? [];
  const usage = usageOf(snap, ib);
  const unique = ib?.unique ?? null;
  const order = orderOf(snap, budgets, usage, snap.images, unique);
  if (!order) return null;
  const at = order.order.indexOf(id);
  const now = wouldRemove(order.order, usage, pressureGoal(budgets, usage), unique);
  return {
    position: at < 0 ? null : at + 1,
    candidates: order.order.length,
    reason: at < 0 ? (order.excluded.get(id) ?? 'removed') : null,
    wouldRemoveNow: now.includes(id),
  };
}
