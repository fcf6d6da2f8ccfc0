/**
 * The cost budget of image patterns and policies. Pure.
 *
 * A policy's cost is what the agent compiles and keeps for it: the brace alternatives of its
 * patterns (`app:{1..9}` is 9). Without a bound, one ImagePolicy of 107 KB (4000 `keep` globs of
 * 1000 alternatives each) took 34 s to validate and 3.8 GB to compile, in every pass, and a stored
 * one did so again at every restart. Validation refuses what is over the budget (before anything is
 * compiled), and the agent disables a stored policy over it (an older version's, or one written by
 * hand) instead of compiling it. The limits are documented in the README ("Limits").
 */
import type { ImagePolicy } from './type.js';
import { classEnd } from './glob.js';

/** characters of one pattern */
export const MAX_PATTERN_LENGTH = 512;
/** brace alternatives of one pattern (`{1..100000}` alone took half a second in minimatch) */
export const MAX_BRACE_ALTERNATIVES = 1000;
/** brace alternatives of all the patterns of one policy */
export const MAX_POLICY_ALTERNATIVES = 5000;
/** brace alternatives of all the policies an agent holds (every apply is checked against it) */
export const MAX_SET_ALTERNATIVES = 20_000;
/** rules and keep entries of one policy (in the schema as maxItems) */
export const MAX_RULES = 1000;
export const MAX_KEEP = 1000;
/** alternatives that minimatch's backtracking matcher must take (extglobs, escapes), per pattern */
export const MAX_SLOW_ALTERNATIVES = 64;
/** unbounded repetitions (`*`, `+(`, `*(`, `!(`) in one such alternative: each one more multiplies the cost by the reference's length */
export const MAX_SLOW_REPEATS = 2;

/** The end (past its `)`) of the group whose `(` is at `i`, or -1. */
function groupEnd(a: string, i: number): number {
  let depth = 0;
  for (let j = i; j < a.length; j++) {
    if (a[j] === '\\') j++;
    else if (a[j] === '[') j = Math.max(j, classEnd(a, j) - 1);
    else if (a[j] === '(') depth++;
    else if (a[j] === ')' && --depth === 0) return j + 1;
  }
  return -1;
}

/**
 * Why an alternative that minimatch must match (an extglob, an escape) could make its RegExp
 * backtrack without bound, or null. A repeated group (`+(…)`, `*(…)`) holds only literals and
 * classes (`+(a|aa)` is exponential), and at most MAX_SLOW_REPEATS repetitions in all.
 */
export function slowAlternativeProblem(a: string): string | null {
  let repeats = 0;
  for (let i = 0; i < a.length; i++) {
    const c = a[i];
    if (c === '\\') i++;
    else if (c === '[') i = Math.max(i, classEnd(a, i) - 1);
    else if ((c === '+' || c === '*' || c === '!') && a[i + 1] === '(') {
      repeats++;
      const end = groupEnd(a, i + 1);
      const body = end < 0 ? '' : a.slice(i + 2, end - 1).replace(/\\.|\[[^\]]*\]/g, '');
      if (c !== '!' && /[|*?(]/.test(body)) return `a repeated group ${c}(...) may hold only literals and classes (no "|", wildcards or groups): its matching would backtrack without bound`;
    } else if (c === '*') {
      repeats++;
      while (a[i + 1] === '*') i++;
    }
  }
  return repeats > MAX_SLOW_REPEATS ? `more than ${MAX_SLOW_REPEATS} wildcards or repeated groups next to an extglob or an escape: its matching would backtrack too much (write it without extglobs and escapes)` : null;
}

/** An upper bound of the number of brace expansions, without expanding (it stops past the limit). */
export function braceAlternatives(p: string): number {
  let total = 1;
  const stack: { start: number; commas: number }[] = [];
  for (let i = 0; i < p.length && total <= MAX_BRACE_ALTERNATIVES; i++) {
    if (p[i] === '{') stack.push({ start: i, commas: 0 });
    else if (p[i] === ',' && stack.length > 0) stack[stack.length - 1]!.commas++;
    else if (p[i] === '}' && stack.length > 0) {
      const g = stack.pop()!;
      total *= g.commas > 0 ? g.commas + 1 : rangeSize(p.slice(g.start + 1, i));
    }
  }
  return total;
}

function rangeSize(body: string): number {
  const m = /^(-?\d+|[a-zA-Z])\.\.(-?\d+|[a-zA-Z])(?:\.\.-?\d+)?$/.exec(body);
  if (!m) return 1;
  const n = (s: string) => (/^-?\d+$/.test(s) ? Number(s) : s.charCodeAt(0));
  return Math.abs(n(m[2]!) - n(m[1]!)) + 1;
}


export interface BudgetProblem {
  /** JSON path in the policy (`spec.keep[812]`) */
  path: (string | number)[];
  message: string;
}

/** Every pattern of a policy, with its JSON path. */
function patternsOf(spec: ImagePolicy['spec']): [string, (string | number)[]][] {
  const out: [string, (string | number)[]][] = [];
  (spec.removal ?? []).forEach((r, i) => out.push([r.imageName, ['spec', 'removal', i, 'imageName']]));
  (spec.keep ?? []).forEach((k, i) => out.push([k, ['spec', 'keep', i]]));
  return out;
}

/** A policy's cost, stopping once it is past `stopAt`. */
export function policyCost(spec: ImagePolicy['spec'], stopAt = Infinity): number {
  let total = 0;
  for (const [p] of patternsOf(spec)) {
    total += typeof p === 'string' ? braceAlternatives(p) : 1;
    if (total > stopAt) break;
  }
  return total;
}

/**
 * Why a policy is over the budget, or null: too many rules or keeps, a pattern too long, or
 * more alternatives than MAX_POLICY_ALTERNATIVES in all (the path names the pattern that crossed it).
 */
export function policyBudgetProblem(spec: ImagePolicy['spec']): BudgetProblem | null {
  if (!spec || typeof spec !== 'object') return null;
  if (Array.isArray(spec.removal) && spec.removal.length > MAX_RULES) return { path: ['spec', 'removal'], message: `more than ${MAX_RULES} removal rules` };
  if (Array.isArray(spec.keep) && spec.keep.length > MAX_KEEP) return { path: ['spec', 'keep'], message: `more than ${MAX_KEEP} keep entries` };
  let total = 0;
  for (const [p, path] of patternsOf(spec)) {
    if (typeof p !== 'string') continue;
    if (p.length > MAX_PATTERN_LENGTH) return { path, message: `image pattern longer than ${MAX_PATTERN_LENGTH} characters` };
    const n = braceAlternatives(p);
    if (n > MAX_BRACE_ALTERNATIVES) return { path, message: `glob ${JSON.stringify(p.slice(0, 80))} expands to more than ${MAX_BRACE_ALTERNATIVES} alternatives` };
    total += n;
    if (total > MAX_POLICY_ALTERNATIVES) {
      return { path, message: `the policy's patterns expand to more than ${MAX_POLICY_ALTERNATIVES} brace alternatives in all (the budget of one policy): use fewer or broader globs` };
    }
  }
  return null;
}

/**
 * The policies of a set that do not fit it, in name order: each over its own budget, or past
 * MAX_SET_ALTERNATIVES once the ones before it are counted. Returns name → why.
 */
export function setBudgetProblems(policies: readonly ImagePolicy[]): Map<string, string> {
  const out = new Map<string, string>();
  let total = 0;
  for (const p of [...policies].sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : a.metadata.name > b.metadata.name ? 1 : 0))) {
    const own = policyBudgetProblem(p.spec);
    if (own) {
      out.set(p.metadata.name, `${own.path.join('.').replace(/\.(\d+)/g, '[$1]')}: ${own.message}`);
      continue;
    }
    const n = policyCost(p.spec);
    if (total + n > MAX_SET_ALTERNATIVES) {
      out.set(p.metadata.name, `with the policies before it, the patterns of this agent would expand to more than ${MAX_SET_ALTERNATIVES} brace alternatives (the budget of all policies together): this one has ${n}`);
      continue;
    }
    total += n;
  }
  return out;
}
