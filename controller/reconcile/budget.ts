/**
 * Stored policies over the cost budget (crd/imagepolicy/budget.ts): written by an older version
 * that had no budget, or by hand. Such a policy is not compiled (compiling it is what brought the
 * agent down, at every restart); it is disabled and reported (health, `describe policy`, the log),
 * and while one is disabled the agent is in safe mode and removes nothing: its `keep` entries are
 * unknown, so any removal could take an image it keeps. Replacing or deleting it ends safe mode.
 */
import type { ImagePolicy } from '../../crd/imagepolicy/type.js';
import { setBudgetProblems } from '../../crd/imagepolicy/budget.js';
import type { Logger } from './options.js';
import type { LoopState } from './state.js';

/** The policies that may be compiled; the others are recorded in `s.disabledPolicies` (and logged once each). */
export function admitPolicies(s: LoopState, policies: readonly ImagePolicy[], log: Logger, now: number): ImagePolicy[] {
  const over = setBudgetProblems(policies);
  for (const [name, reason] of over) {
    if (s.disabledPolicies.get(name) !== reason) log.error({ policy: name, reason }, `policy ${name} is disabled: it is over the cost budget; nothing is removed until it is fixed or deleted`);
  }
  for (const name of s.disabledPolicies.keys()) if (!over.has(name)) log.info({ policy: name }, `policy ${name} is no longer disabled`);
  s.disabledPolicies = over;
  s.policySafeMode = over.size === 0 ? null : (s.policySafeMode ?? { since: new Date(now).toISOString(), reason: '' });
  if (s.policySafeMode) s.policySafeMode = { ...s.policySafeMode, reason: disabledReason(over) };
  return over.size === 0 ? [...policies] : policies.filter((p) => !over.has(p.metadata.name));
}

function disabledReason(over: ReadonlyMap<string, string>): string {
  const names = [...over.keys()];
  return `${names.length === 1 ? 'policy' : 'policies'} ${names.join(', ')} ${names.length === 1 ? 'is' : 'are'} disabled (over the cost budget: ${[...over.values()][0]}); fix or delete ${names.length === 1 ? 'it' : 'them'}`;
}
