/**
 * What the planner on this branch can be told, found by asking it (not by version numbers), so that
 * the model-based tests run on main today and take in the features being built beside it as they land:
 *
 * - EVENT USES ("Every use counts", issue 11): `planPass` takes `uses` (image ID → a container event
 *   seen since the last pass) and `unseen` (history that could not be seen). With it, the model
 *   feeds short-lived containers and the uses made while the agent was down as events, the way the
 *   agent replays them; without it, a short-lived container is one that a pass happened to list, and
 *   no container comes and goes unseen while the agent is down (main does not claim to see those).
 * - DISK PRESSURE (issue 13): a pure `pressureOrder` in controller/reconcile/pressure.ts. Until it
 *   exists, the disk commands only move the model's usage and the LRU property has nothing to judge.
 */
import { compilePolicies } from '../../crd/imagepolicy/match.js';
import { planPass, type PassInput, type PassPlan } from '../../controller/reconcile/plan.js';
import type { PersistedImage } from '../../statemachines/runtime.js';

/** The inputs of "Every use counts"; extra properties are ignored by a planner that predates them. */
export interface EventUses {
  uses?: ReadonlyMap<string, { at: number; reason: string }>;
  unseen?: { at: number; reason: string };
}

export type PlannerInput = PassInput & EventUses;
export type Planner = (input: PlannerInput) => PassPlan;

export const realPlanner: Planner = (input) => planPass(input);

/** Does the planner count a use it is told about (an idle image used at 1500 counts from 1500)? */
export function plannerTakesUses(planner: Planner = realPlanner): boolean {
  const id = `sha256:${'f'.repeat(64)}`;
  const policies = compilePolicies([{ apiVersion: 'imagectl.dev/v1alpha1', kind: 'ImagePolicy', metadata: { name: 'probe' }, spec: { removal: [{ imageName: '*', deleteAfter: '1h' }] } }] as never);
  const observed = { images: [{ id, tags: ['probe:1'], repoDigests: [], sizeBytes: 1, created: 0, labels: {} }], containers: [] };
  const first = planner({ policies, observed, persisted: new Map(), downloads: new Map(), now: 1000 });
  const next = planner({ policies, observed, persisted: first.images, downloads: new Map(), now: 2000, uses: new Map([[id, { at: 1500, reason: 'probe' }]]) });
  return (next.images.get(id) as PersistedImage | undefined)?.context.lastUsedAt === 1500;
}

/** The pure eviction order of "Disk pressure", when this branch has it. */
export interface PressureModule {
  pressureOrder(o: {
    images: ReadonlyMap<string, PersistedImage>;
    parents: ReadonlyMap<string, string>;
    unique: ReadonlyMap<string, number> | null;
    now: number;
    minAgeMs: number;
  }): { order: string[] };
}

/** controller/reconcile/pressure.ts, or null while it does not exist (the path is built so that tsc does not resolve it). */
export async function loadPressure(): Promise<PressureModule | null> {
  const path = ['..', '..', 'controller', 'reconcile', 'pressure.js'].join('/');
  try {
    const m = (await import(/* @vite-ignore */ path)) as Partial<PressureModule>;
    return typeof m.pressureOrder === 'function' ? (m as PressureModule) : null;
  } catch {
    return null;
  }
}
