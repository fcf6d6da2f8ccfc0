/**
 * The cost budget of all the policies of an agent, at apply time (crd/imagepolicy/budget.ts): an
 * apply that would take the set past it is refused, naming the policies; a policy already stored
 * over it (disabled by the reconciler) is left out of what a server dry run compiles.
 */
import type { ImagePolicy } from '../../crd/imagepolicy/type.js';
import { setBudgetProblems } from '../../crd/imagepolicy/budget.js';
import { afterPlan, type ApplyPlan } from '../../crd/apply/applyset.js';
import type { StoredObject } from '../store/store.js';

const policiesOf = (objects: readonly StoredObject[]) => objects.filter((o): o is StoredObject & ImagePolicy => o.kind === 'ImagePolicy');

/** Problems (`imagepolicy/NAME: …`) for the policies this apply would put past the set budget. */
export function setBudgetCheck(live: readonly StoredObject[], plan: ApplyPlan): string[] {
  const puts = new Set(plan.puts.filter((o) => o.kind === 'ImagePolicy').map((o) => o.metadata.name));
  if (puts.size === 0) return [];
  const before = setBudgetProblems(policiesOf(live));
  const after = setBudgetProblems(policiesOf(afterPlan([...live], plan)));
  return [...after].filter(([name]) => puts.has(name) || !before.has(name)).map(([name, why]) => `imagepolicy/${name}: ${why}`);
}

/** The policies that fit the budget (the others would be disabled by the agent). */
export function withinBudget<T extends ImagePolicy>(policies: readonly T[]): T[] {
  const over = setBudgetProblems(policies);
  return over.size === 0 ? [...policies] : policies.filter((p) => !over.has(p.metadata.name));
}
