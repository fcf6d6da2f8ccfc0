/**
 * `spec.diskPressure`: a disk budget, in one of two forms. Pure.
 * - percent: over the filesystem that holds the engine's data root (`DockerRootDir`, statfs):
 *   pressure when usedPercent >= highThresholdPercent, removal until usedPercent < lowThresholdPercent;
 * - bytes: over the engine's image bytes, shared layers counted once (`GET /system/df`), for an
 *   engine whose data root the agent cannot see: pressure when imageBytes > maxImageBytes, removal
 *   until imageBytes <= targetImageBytes.
 * Defaults are kubelet's (85, 80, 2m). Here: the checks, the defaults, and the budget a policy carries.
 */
import { parseDuration, type DurationResult } from '../fields/duration.js';
import { parseBytes } from '../fields/bytes.js';
import type { PushProblem } from '../problems.js';
import type { ImagePolicySpec } from './type.js';

export type DiskPressureSpec = NonNullable<ImagePolicySpec['diskPressure']>;

export const DISK_DEFAULTS = { highThresholdPercent: 85, lowThresholdPercent: 80, minAge: '2m' } as const;

interface BudgetBase {
  /** the policy that carries it */
  policy: string;
  /** an image idle for less than this is never removed for space, ms */
  minAgeMs: number;
  /** as written (or the default), e.g. `2m` */
  minAge: string;
}
export interface PercentBudget extends BudgetBase {
  form: 'percent';
  high: number;
  low: number;
}
export interface BytesBudget extends BudgetBase {
  form: 'bytes';
  max: number;
  target: number;
}
export type DiskBudget = PercentBudget | BytesBudget;

const PERCENT_FIELDS = ['highThresholdPercent', 'lowThresholdPercent'] as const;
const BYTES_FIELDS = ['maxImageBytes', 'targetImageBytes'] as const;

const isZero = (s: string) => /^\s*0+(\.0+)?(ms|s|m|h|d)?\s*$/.test(s);

/** minAge: a duration of zero or more (`0s` for none). */
export function parseMinAge(s: unknown): DurationResult {
  if (typeof s === 'string' && isZero(s)) return { ok: true, ms: 0 };
  if (typeof s === 'string' && /^\s*-/.test(s) && parseDuration(s.replace('-', '')).ok) {
    return { ok: false, error: `duration ${JSON.stringify(s)} is negative: minAge must be zero or more` };
  }
  return parseDuration(s);
}

/** What the schema cannot say about spec.diskPressure. */
export function checkDiskPressure(dp: DiskPressureSpec, push: PushProblem): void {
  const at = ['spec', 'diskPressure'];
  const percent = PERCENT_FIELDS.filter((f) => dp[f] !== undefined);
  const bytes = BYTES_FIELDS.filter((f) => dp[f] !== undefined);
  if (percent.length && bytes.length) {
    push(at, `set one form of disk budget, not both: ${percent.join(' and ')} (the filesystem of the engine's data root) or ${bytes.join(' and ')} (the engine's image bytes)`);
  } else if (bytes.length) checkBytes(dp, push);
  else {
    const high = dp.highThresholdPercent ?? DISK_DEFAULTS.highThresholdPercent;
    const low = dp.lowThresholdPercent ?? DISK_DEFAULTS.lowThresholdPercent;
    const shown = (f: (typeof PERCENT_FIELDS)[number], v: number) => `${f} ${v}${dp[f] === undefined ? ' (the default)' : ''}`;
    if (low >= high) push([...at, dp.lowThresholdPercent === undefined ? 'highThresholdPercent' : 'lowThresholdPercent'], `${shown('lowThresholdPercent', low)} must be below ${shown('highThresholdPercent', high)}`);
  }
  if (dp.minAge !== undefined) {
    const d = parseMinAge(dp.minAge);
    if (!d.ok) push([...at, 'minAge'], d.error);
  }
}

function checkBytes(dp: DiskPressureSpec, push: PushProblem): void {
  const at = ['spec', 'diskPressure'];
  const [max, target] = BYTES_FIELDS.map((f) => {
    if (dp[f] === undefined) {
      push(at, `${f} is required with ${BYTES_FIELDS.find((g) => g !== f)}`);
      return null;
    }
    const b = parseBytes(dp[f]);
    if (!b.ok) push([...at, f], b.error);
    return b.ok ? b.bytes : null;
  });
  if (max != null && target != null && target >= max) push([...at, 'targetImageBytes'], `targetImageBytes (${dp.targetImageBytes}) must be below maxImageBytes (${dp.maxImageBytes})`);
}

/** The budget a (valid) policy carries, with the defaults filled in; null without spec.diskPressure. */
export function budgetOf(policy: string, spec: ImagePolicySpec): DiskBudget | null {
  const dp = spec.diskPressure;
  if (!dp) return null;
  const age = parseMinAge(dp.minAge ?? DISK_DEFAULTS.minAge);
  const minAgeMs = age.ok ? age.ms : 120_000;
  const base = { policy, minAgeMs, minAge: dp.minAge ?? DISK_DEFAULTS.minAge };
  if (dp.maxImageBytes !== undefined || dp.targetImageBytes !== undefined) {
    const max = parseBytes(dp.maxImageBytes);
    const target = parseBytes(dp.targetImageBytes);
    if (!max.ok || !target.ok) return null;
    return { ...base, form: 'bytes', max: max.bytes, target: target.bytes };
  }
  return {
    ...base, form: 'percent',
    high: dp.highThresholdPercent ?? DISK_DEFAULTS.highThresholdPercent,
    low: dp.lowThresholdPercent ?? DISK_DEFAULTS.lowThresholdPercent,
  };
}

/** The budgets of the policies that apply to this node, in policy-name order. */
export function budgetsOf(policies: readonly { metadata: { name: string }; spec: ImagePolicySpec }[]): DiskBudget[] {
  return policies
    .map((p) => budgetOf(p.metadata.name, p.spec))
    .filter((b): b is DiskBudget => b !== null)
    .sort((a, b) => a.policy.localeCompare(b.policy));
}
