/** The node's Open Horizon constraints, from `--node-constraint` and the config's `nodeConstraints`. */
import { parseConstraint } from '../crd/fields/constraints.js';
import { CliError } from './client.js';

/** Check every expression now: a typo would otherwise silently stop every Open Horizon policy from applying. */
export function parseNodeConstraints(fromConfig: unknown, fromFlags: readonly string[]): string[] {
  if (fromConfig !== undefined && (!Array.isArray(fromConfig) || fromConfig.some((c) => typeof c !== 'string'))) {
    throw new CliError('nodeConstraints: must be a list of constraint expressions (strings)');
  }
  const all = [...((fromConfig as string[] | undefined) ?? []), ...fromFlags].filter((c) => c.trim() !== '');
  for (const c of all) {
    const r = parseConstraint(c);
    if (!r.ok) throw new CliError(`--node-constraint: ${r.error}`);
  }
  return all;
}
