/**
 * Label selector requirements as Kubernetes apimachinery defines them (`labels.Requirement`):
 * what a requirement may be, what it matches, and how it is written. Pure.
 */

/** apimachinery's selection operators, spelled as it spells them. */
export type Operator = 'in' | 'notin' | '=' | '==' | '!=' | 'exists' | '!' | 'gt' | 'lt';

export interface Requirement {
  key: string;
  operator: Operator;
  /** sorted, without repeats (apimachinery keeps them as a set) */
  values: string[];
}

export type RequirementResult = { ok: true; requirement: Requirement } | { ok: false; error: string };

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const INT64 = { min: -(2n ** 63n), max: 2n ** 63n - 1n };

/** Why a label key is invalid (an optional DNS subdomain prefix and '/', then a name), or null. */
export function labelKeyProblem(key: string): string | null {
  const parts = key.split('/');
  if (parts.length > 2) return `invalid label key ${JSON.stringify(key)}: at most one '/', between a DNS subdomain prefix and the name`;
  const name = parts.at(-1)!;
  if (parts.length === 2) {
    const prefix = parts[0]!;
    if (prefix === '') return `invalid label key ${JSON.stringify(key)}: the prefix before '/' must not be empty`;
    if (prefix.length > 253) return `invalid label key ${JSON.stringify(key)}: the prefix must be at most 253 characters`;
    if (!DNS_SUBDOMAIN.test(prefix)) return `invalid label key ${JSON.stringify(key)}: the prefix must be a DNS subdomain (lowercase letters, digits, '-' and '.')`;
  }
  if (name === '') return `invalid label key ${JSON.stringify(key)}: the name must not be empty`;
  if (name.length > 63) return `invalid label key ${JSON.stringify(key)}: the name must be at most 63 characters`;
  if (!NAME.test(name)) return `invalid label key ${JSON.stringify(key)}: the name must be letters, digits, '-', '_' and '.', starting and ending with a letter or digit`;
  return null;
}

/** Why a label value is invalid, or null. The empty value is valid. */
export function labelValueProblem(value: string): string | null {
  if (value.length > 63) return `invalid label value ${JSON.stringify(value)}: at most 63 characters`;
  if (value !== '' && !NAME.test(value)) return `invalid label value ${JSON.stringify(value)}: letters, digits, '-', '_' and '.', starting and ending with a letter or digit`;
  return null;
}

/** Go's strconv.ParseInt(s, 10, 64). */
export function parseInt64(s: string): bigint | null {
  if (!/^[+-]?\d+$/.test(s)) return null;
  const n = BigInt(s);
  return n < INT64.min || n > INT64.max ? null : n;
}

function valuesProblem(op: Operator, values: readonly string[]): string | null {
  switch (op) {
    case 'in':
    case 'notin':
      return values.length === 0 ? `for '${op}' the values can't be empty` : null;
    case '=':
    case '==':
    case '!=':
      return values.length === 1 ? null : `'${op}' takes exactly one value`;
    case 'exists':
    case '!':
      return values.length === 0 ? null : 'values must be empty for exists and does not exist';
    case 'gt':
    case 'lt': {
      if (values.length !== 1) return `for '${op}' exactly one value is required`;
      return parseInt64(values[0]!) === null ? `for '${op}' the value must be an integer, got ${JSON.stringify(values[0])}` : null;
    }
    default:
      return `operator ${JSON.stringify(op)} is not supported (in, notin, =, ==, !=, exists, !, gt, lt)`;
  }
}

/** A requirement, checked as apimachinery's NewRequirement checks it. */
export function newRequirement(key: string, operator: Operator, values: readonly string[]): RequirementResult {
  const problem = labelKeyProblem(key) ?? valuesProblem(operator, values) ?? values.map(labelValueProblem).find((p) => p) ?? null;
  if (problem) return { ok: false, error: problem };
  return { ok: true, requirement: { key, operator, values: [...new Set(values)].sort() } };
}

export function matchesRequirement(r: Requirement, labels: Readonly<Record<string, string>>): boolean {
  const has = Object.hasOwn(labels, r.key);
  const v = labels[r.key];
  switch (r.operator) {
    case 'in':
    case '=':
    case '==':
      return has && r.values.includes(v!);
    case 'notin':
    case '!=':
      return !has || !r.values.includes(v!);
    case 'exists':
      return has;
    case '!':
      return !has;
    case 'gt':
    case 'lt': {
      const n = has ? parseInt64(v!) : null;
      const w = parseInt64(r.values[0] ?? '');
      if (n === null || w === null || r.values.length !== 1) return false;
      return r.operator === 'gt' ? n > w : n < w;
    }
  }
}

/** Every requirement holds; none means everything. Absent labels are no labels. */
export function matchesSelector(reqs: readonly Requirement[], labels: Readonly<Record<string, string>> | undefined): boolean {
  return reqs.every((r) => matchesRequirement(r, labels ?? {}));
}

const SPELLING: Record<Operator, string> = { in: ' in ', notin: ' notin ', '=': '=', '==': '==', '!=': '!=', exists: '', '!': '', gt: '>', lt: '<' };

/** One requirement as apimachinery writes it: `x in (a,b)`, `x!=y`, `!x`, `x>1`. */
export function requirementString(r: Requirement): string {
  const head = (r.operator === '!' ? '!' : '') + r.key + SPELLING[r.operator];
  if (r.operator === 'exists' || r.operator === '!') return head;
  const values = r.values.join(',');
  return r.operator === 'in' || r.operator === 'notin' ? `${head}(${values})` : head + values;
}

/** A selector as apimachinery writes it: its requirements by key, joined by commas. */
export function selectorString(reqs: readonly Requirement[]): string {
  return sortByKey(reqs).map(requirementString).join(',');
}

export function sortByKey(reqs: readonly Requirement[]): Requirement[] {
  return [...reqs].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}
