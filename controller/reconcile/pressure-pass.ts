/**
 * The disk-pressure part of a pass, and the one loop that removes for space (a pass under pressure,
 * and room made before a pull: room.ts). A pass measures cheaply: one statfs of the engine's data
 * root for the percent form, `/system/df` (kept while the images stay the same) for the byte form.
 * Under pressure, candidates go in the pressure order (pressure.ts), one at a time through the one
 * removal path: each is recorded `removable` first (write-ahead, the reason naming the pressure),
 * removed like any other, and the disk is measured again before the next one; the audit record of
 * the removal carries the bytes that measurement says it freed.
 */
import { budgetsOf, type DiskBudget } from '../../crd/imagepolicy/disk-pressure.js';
import { compilePolicies, decide } from '../../crd/imagepolicy/match.js';
import { formatBytes } from '../../crd/fields/bytes.js';
import { imageSetKey, type DiskMeter } from '../disk/meter.js';
import { errorText } from '../engine/errors.js';
import type { PassDeps } from './options.js';
import { afterFreeing, pct, pressureGoal, pressureOrder, pressureReason, reached, type Goal, type Usage } from './pressure.js';
import { workloadProtection } from './protection.js';
import { SpaceRemovals } from './space-removals.js';
import type { LoopState } from './state.js';

/** The key of the engine's current images for DiskMeter.images. */
export const imagesKey = (s: LoopState) => imageSetKey((s.lastObservation?.images ?? []).map((i) => i.id));

/** What `budgets` are measured on; `fresh`: ask /system/df again even for the same images. */
export async function measureUsage(meter: DiskMeter, s: LoopState, budgets: readonly DiskBudget[], fresh = false): Promise<{ usage: Usage; error: string | null }> {
  const usage: Usage = { fs: null, imageBytes: null };
  let error: string | null = null;
  if (budgets.some((b) => b.form === 'percent')) {
    try {
      usage.fs = await meter.filesystem();
    } catch (err) {
      error = errorText(err);
    }
  }
  if (budgets.some((b) => b.form === 'bytes')) {
    try {
      usage.imageBytes = (await meter.images(fresh ? undefined : imagesKey(s))).imageBytes;
    } catch (err) {
      error ??= `cannot read the engine's image bytes (GET /system/df): ${errorText(err)}`;
    }
  }
  return { usage, error };
}

/** What measureUsage is asked for to measure the filesystem alone. */
const FS_ONLY: DiskBudget = { policy: '', form: 'percent', high: 100, low: 100, minAgeMs: 0, minAge: '0s' };

/** What a run of removals for space is for. */
export interface SpaceRun {
  goal: Goal;
  usage: Usage;
  /** measured again after each removal: stop once this holds */
  done(u: Usage): boolean;
  reason(u: Usage, frees: number): string;
  trigger: string;
}

const freed = (a: Usage, b: Usage) => Math.max(0, a.fs && b.fs ? a.fs.usedBytes - b.fs.usedBytes : (a.imageBytes ?? 0) - (b.imageBytes ?? 0));

/** Protected now, whatever the machines last said: a Workload or a policy applied since the last pass. */
function protectedNow(s: LoopState): (id: string) => string | null {
  const policies = compilePolicies(s.selected);
  const wl = workloadProtection(s.workloads, s.statuses);
  return (id) => {
    const p = s.images.get(id);
    if (!p) return 'gone';
    const w = wl.ids.get(id);
    if (w) return `workload ${w}`;
    const v = decide(policies, { tags: p.context.tags, repoDigests: p.context.repoDigests, agentDownloaded: p.context.agentDownloaded }, wl.refs);
    return v.protectedBy ?? (v.rule ? null : 'no rule matches');
  };
}

const parentsOf = (s: LoopState) => new Map((s.lastObservation?.images ?? []).flatMap((i) => (i.parentId ? [[i.id, i.parentId] as [string, string]] : [])));

/** The candidates for space now, in the pressure order, with their unique bytes (null: /system/df did not answer). */
export async function spaceOrder(d: PassDeps, s: LoopState, meter: DiskMeter, minAgeMs: number) {
  const unique = (await meter.images(imagesKey(s)).catch(() => null))?.unique ?? null;
  const parents = parentsOf(s);
  const { order } = pressureOrder({ images: s.images, parents, unique, now: d.now(), minAgeMs, protectedNow: protectedNow(s) });
  return { order, unique, parents };
}

/**
 * Remove candidates in the pressure order, one at a time, measuring after each, until `run.done`.
 * After each answer: measure, decide, send the next image's delete, then record the answer while
 * the engine works. The next image's write-ahead is made while the engine still works on the
 * current one when the goal is far (even twice the current image's unique bytes would not reach
 * it); should the goal be reached anyway, that image is taken back (REMOVE_CANCELLED), not removed.
 */
export async function removeForSpace(d: PassDeps, s: LoopState, meter: DiskMeter, run: SpaceRun): Promise<{ usage: Usage; removed: string[]; failed: boolean }> {
  const { order, unique, parents } = await spaceOrder(d, s, meter, run.goal.minAgeMs);
  const removal = new SpaceRemovals(d, s, run.trigger);
  const bytes = (id: string) => unique?.get(id) ?? 0;
  let usage = run.usage;
  const removed: string[] = [];
  const kept = new Set<string>();
  /** a child that stayed keeps its parent (the engine refuses it: dependent child images) */
  const blocked = (id: string) => [...parents].some(([c, p]) => p === id && kept.has(c));
  let at = 0;
  // a container used it since the pass recorded the uses (every use counts): no longer least recently used
  const usedSince = async (id: string) => {
    await d.uses.settled();
    return d.uses.usedSincePlan(id);
  };
  const prepare = async (u: Usage): Promise<string | null> => {
    for (; at < order.length; at++) {
      const id = order[at]!;
      if (s.images.get(id)?.state !== 'idle' || blocked(id) || (await usedSince(id))) {
        kept.add(id);
        continue;
      }
      at++;
      return (await removal.writeAhead(id, run.reason(u, bytes(id)))) ? id : null;
    }
    return null;
  };
  const going = () => !run.done(usage) && !d.stopped() && !s.safeMode;
  let cur = going() ? await prepare(usage) : null;
  let answer = cur === null ? null : removal.send(cur);
  while (cur !== null && answer !== null) {
    const ahead = run.done(afterFreeing(usage, 2 * bytes(cur))) ? null : prepare(afterFreeing(usage, bytes(cur)));
    const outcome = await answer;
    const now = d.now();
    const before = usage;
    usage = (await measureUsage(meter, s, run.goal.active, true)).usage;
    if (outcome.kind === 'removed' || outcome.kind === 'gone') removed.push(cur);
    else kept.add(cur);
    const go = outcome.kind !== 'failed' && going();
    let next = ahead ? await ahead : null;
    const exhausted = ahead !== null && next === null;
    if (next !== null && (!go || blocked(next))) {
      removal.cancel(next, `disk pressure: ${go ? 'its child image stayed' : 'the target was reached before its turn'}; not removed`);
      kept.add(next);
      next = null;
    }
    if (next === null && go && !exhausted) next = await prepare(usage);
    answer = next === null ? null : removal.send(next);
    removal.record(cur, outcome, now, outcome.kind === 'removed' ? { freedBytes: freed(before, usage) } : undefined);
    cur = next;
  }
  const res = await removal.finish();
  return { usage, removed, failed: res.failed };
}

/** A pass's disk check: measure the budgets that apply and, under pressure, remove until below target. */
export async function relievePressure(d: PassDeps, s: LoopState, trigger: string): Promise<{ failed: boolean }> {
  const meter = d.disk;
  if (!meter) return { failed: false };
  const budgets = budgetsOf(s.selected);
  // the data root's usage is measured even without a budget (one statfs): plan and a server dry run show it
  const m = await measureUsage(meter, s, budgets.length ? budgets : [FS_ONLY]);
  s.disk = { at: d.now(), budgets, usage: m.usage, error: m.error };
  const goal = pressureGoal(budgets, m.usage);
  if (!goal || s.safeMode) return { failed: false };
  d.log.warn({ budgets: goal.active.map((b) => b.policy), usedPercent: m.usage.fs ? pct(m.usage.fs.usedPercent) : null, imageBytes: m.usage.imageBytes }, 'disk pressure: removing least recently used candidates');
  const r = await removeForSpace(d, s, meter, { goal, usage: m.usage, done: (u) => reached(goal, u), reason: (u, frees) => pressureReason(goal, m.usage, frees, { now: u }), trigger });
  s.disk = { ...s.disk, at: d.now(), usage: r.usage };
  if (!r.failed && !reached(goal, r.usage)) {
    d.log.warn({ removed: r.removed.length, usedPercent: r.usage.fs ? pct(r.usage.fs.usedPercent) : null, imageBytes: r.usage.imageBytes === null ? null : formatBytes(r.usage.imageBytes) }, 'disk pressure: no more candidates (idle, unprotected, matched by a rule, idle for minAge); still above the target');
  }
  return { failed: r.failed };
}
