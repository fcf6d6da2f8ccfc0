/**
 * Disk pressure against the model (SPEC §8): on every plan, what the product's pure decision
 * (controller/reconcile/pressure.ts: budgetsOf, pressureGoal, pressureOrder, wouldRemove, as the
 * agent's pressure pass composes them) would remove for space must be what the model says: the
 * least-recently-used prefix of the candidates that brings every exceeded budget below its target.
 *
 * The model, from SPEC §8 alone: a budget is exceeded when usedPercent >= high (percent form) or the
 * image bytes > max (byte form), and is met when usedPercent < low or the bytes <= target; any
 * exceeded budget starts removal, which goes on until every exceeded one is met, with the shortest
 * minAge among them. Candidates: images on the engine that no container uses, that a rule of some
 * policy matches (agentDownloadedOnly honoured), that no keep or Workload protects, that are not due
 * by their age rule already (that removal is the age path's), idle for at least minAge, counted from
 * what the agent can know of their last use. Order: oldest last use first, then more bytes, then the
 * ID. Removing an image frees its bytes (the model's images share no layers).
 */
import { budgetsOf } from '../../crd/imagepolicy/disk-pressure.js';
import { pressureGoal, pressureOrder, wouldRemove, type Usage } from '../../controller/reconcile/pressure.js';
import type { PersistedImage } from '../../statemachines/runtime.js';
import { idOf, sizeOf } from './catalog.js';
import { toManifest, type Judge, type ModelPolicy } from './judge.js';
import type { World } from './world.js';

/** The data root's size in the model: the catalog's images (1 to 4 MB) are 10 to 40 percent of it. */
export const DISK_BYTES = 10_000_000;

/** What the product would remove for space now, given the machines after a plan. */
export type PressureDecider = (i: { images: ReadonlyMap<string, PersistedImage>; policies: readonly ModelPolicy[]; usage: Usage; unique: ReadonlyMap<string, number>; now: number }) => string[];

/** The product's decision, composed as controller/reconcile/pressure-pass.ts composes it. */
export const realPressure: PressureDecider = ({ images, policies, usage, unique, now }) => {
  const goal = pressureGoal(budgetsOf(policies.map(toManifest)), usage);
  if (!goal) return [];
  const { order } = pressureOrder({ images, parents: new Map(), unique, now, minAgeMs: goal.minAgeMs });
  return wouldRemove(order, usage, goal, unique);
};

/** The usage the device's disk command set, and the engine's image bytes. */
export function usageOf(world: World, usedPercent: number): Usage {
  const used = (usedPercent * DISK_BYTES) / 100;
  const imageBytes = [...world.images.keys()].reduce((a, c) => a + sizeOf(c), 0);
  return { fs: { path: '/var/lib/docker', totalBytes: DISK_BYTES, usedBytes: used, availableBytes: DISK_BYTES - used, usedPercent }, imageBytes };
}

interface ModelBudget {
  exceeded: (pct: number, bytes: number) => boolean;
  met: (pct: number, bytes: number) => boolean;
  minAgeMs: number;
}

/** The model's own reading of the quantities and durations the generator writes (SPEC §8's defaults: 85, 80, 2m). */
const BYTES: Record<string, number> = { '3M': 3e6, '5M': 5e6, '6M': 6e6, '8M': 8e6 };
const MIN_AGES: Record<string, number> = { '0s': 0, '1s': 1_000, '30s': 30_000, '2m': 120_000 };

function budgetOf(p: ModelPolicy): ModelBudget | null {
  const d = p.diskPressure;
  if (!d) return null;
  const minAgeMs = MIN_AGES[d.minAge ?? '2m']!;
  if ('maxImageBytes' in d) {
    const [max, target] = [BYTES[d.maxImageBytes]!, BYTES[d.targetImageBytes]!];
    return { exceeded: (_p, b) => b > max, met: (_p, b) => b <= target, minAgeMs };
  }
  const [high, low] = [d.highThresholdPercent ?? 85, d.lowThresholdPercent ?? 80];
  return { exceeded: (pct) => pct >= high, met: (pct) => pct < low, minAgeMs };
}

/** How often the model's answer was not empty, and a proper prefix (so that a run shows the property was exercised). */
export const pressureSeen = { underPressure: 0, removing: 0, properPrefix: 0 };

/** The model's answer: the LRU prefix of its candidates that meets every exceeded budget. */
export function modelPressure(judge: Judge, world: World, usedPercent: number, now: number): string[] {
  let pct = usedPercent;
  let bytes = [...world.images.keys()].reduce((a, c) => a + sizeOf(c), 0);
  const active = [...judge.policies.values()].map(budgetOf).filter((b): b is ModelBudget => b !== null && b.exceeded(pct, bytes));
  if (!active.length) return [];
  pressureSeen.underPressure++;
  const minAge = Math.min(...active.map((b) => b.minAgeMs));
  const known = (c: number) => judge.seen.get(c)?.known ?? null;
  const cands = [...world.images.keys()].filter((c) => {
    const due = judge.dueAt(c);
    const k = known(c);
    return due !== null && now < due && k !== null && now - k >= minAge;
  });
  cands.sort((a, b) => known(a)! - known(b)! || sizeOf(b) - sizeOf(a) || idOf(a).localeCompare(idOf(b)));
  const out: string[] = [];
  for (const c of cands) {
    if (active.every((b) => b.met(pct, bytes))) break;
    out.push(idOf(c));
    pct -= (100 * sizeOf(c)) / DISK_BYTES;
    bytes -= sizeOf(c);
  }
  if (out.length) pressureSeen.removing++;
  if (out.length && out.length < cands.length) pressureSeen.properPrefix++;
  return out;
}
