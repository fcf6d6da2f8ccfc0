import { makeRe } from 'minimatch';
import { hasGlob, parseReference, patternTagProblem } from '../fields/reference.js';
import { classEnd, GLOB_OPTIONS, slowAlternatives } from './glob.js';
import { braceAlternatives, MAX_BRACE_ALTERNATIVES, MAX_PATTERN_LENGTH, MAX_SLOW_ALTERNATIVES, slowAlternativeProblem } from './budget.js';

export { MAX_BRACE_ALTERNATIVES } from './budget.js';

/**
 * Why an image pattern (removal[].imageName, keep[]) is unusable, or null when it is fine.
 * Exact references must parse; globs must compile, and their literal parts must form a reference.
 */
export function imagePatternProblem(p: string): string | null {
  const hit = problemCache.get(p);
  if (hit !== undefined) return hit;
  const problem = patternProblem(p);
  if (problemCache.size >= PROBLEM_CACHE_MAX) problemCache.clear();
  problemCache.set(p, problem);
  return problem;
}

/** A pure function of the pattern, and sets repeat patterns: each is checked once (bounded). */
const problemCache = new Map<string, string | null>();
const PROBLEM_CACHE_MAX = 10_000;

function patternProblem(p: string): string | null {
  if (p === '') return 'empty image pattern';
  if (p.length > MAX_PATTERN_LENGTH) return `image pattern longer than ${MAX_PATTERN_LENGTH} characters`;
  const tag = patternTagProblem(p);
  if (tag) return tag;
  if (!hasGlob(p)) {
    const r = parseReference(p);
    return r.ok ? null : r.error;
  }
  return globDialectProblem(p) ?? literalPartsProblem(p);
}

/**
 * Why a glob is outside imagectl's minimatch dialect, whatever it names: a leading `!` (negation;
 * `!(...)` is an extglob), an
 * unbalanced bracket or brace (minimatch would match it literally), too many alternatives, or
 * what minimatch cannot compile.
 */
export function globDialectProblem(p: string): string | null {
  if (p.startsWith('!') && !p.startsWith('!(')) return `negated pattern ${JSON.stringify(p)} is not supported: list the images to match instead`;
  return globProblem(p);
}

/** Unbalanced brackets and braces: minimatch would silently match them literally. */
export function globProblem(p: string): string | null {
  let braces = 0;
  for (let i = 0; i < p.length; i++) {
    const c = p[i];
    if (c === '\\') i++;
    else if (c === '[') {
      const end = classEnd(p, i);
      if (end < 0) return `unbalanced "[" in glob ${JSON.stringify(p)}`;
      i = end - 1;
    } else if (c === ']') return `unbalanced "]" at position ${i + 1} of glob ${JSON.stringify(p)}`;
    else if (c === '{') braces++;
    else if (c === '}' && --braces < 0) return `unbalanced "}" at position ${i + 1} of glob ${JSON.stringify(p)}`;
  }
  if (braces > 0) return `unbalanced "{" in glob ${JSON.stringify(p)}`;
  if (braceAlternatives(p) > MAX_BRACE_ALTERNATIVES) {
    return `glob ${JSON.stringify(p)} expands to more than ${MAX_BRACE_ALTERNATIVES} alternatives`;
  }
  return PLAIN_BRACED.test(p) ? null : slowProblem(p);
}

/** Plain globs with braces: every alternative is plain, so imagectl's own matcher takes them all. */
const PLAIN_BRACED = /^[A-Za-z0-9._:/@*?,{}-]+$/;

/**
 * The alternatives that minimatch itself must match (extglobs, escapes) must compile and stay
 * cheap to match (its RegExps backtrack); the others are matched by glob.ts and always compile.
 */
function slowProblem(p: string): string | null {
  const slow = slowAlternatives(p);
  if (slow.length === 0) return null;
  if (slow.length > MAX_SLOW_ALTERNATIVES) return `glob ${JSON.stringify(p)} has more than ${MAX_SLOW_ALTERNATIVES} alternatives with extglobs or escapes`;
  for (const a of slow) {
    const problem = slowAlternativeProblem(a);
    if (problem) return `glob ${JSON.stringify(p)}: ${problem}`;
  }
  const opts = { ...GLOB_OPTIONS, nobrace: true };
  return slow.every((a) => makeRe(a, opts) === false) && braceAlternatives(p) === slow.length ? `invalid glob ${JSON.stringify(p)}` : null;
}

/**
 * Letters, digits, `._:/@-` and the wildcards `*` and `?`: nothing minimatch reads as a class,
 * brace, extglob, escape or comment, so it always compiles such a glob (pattern.test.ts checks
 * this against minimatch) and the costly makeRe is needed only for the others.
 */
export const PLAIN_GLOB = /^[A-Za-z0-9._:/@*?-]+$/;

/**
 * Read each wildcard, class and brace group as "0" and check that the result is a reference,
 * so `Registry/App:*` is caught. A glob in the digest is not checked.
 */
function literalPartsProblem(p: string): string | null {
  const at = p.indexOf('@');
  const checked = at >= 0 && hasGlob(p.slice(at + 1)) ? p.slice(0, at) : p;
  let out = '';
  const from: string[] = []; // from[i]: the original text of out[i]
  for (let i = 0; i < checked.length; ) {
    const end = wildcardEnd(checked, i);
    out += end > i ? '0' : checked[i];
    from.push(checked.slice(i, Math.max(end, i + 1)));
    i = Math.max(end, i + 1);
  }
  const r = parseReference(out);
  if (r.ok) return null;
  // put the wildcards back into the fragments the error quotes
  return r.error.replace(/"((?:[^"\\]|\\.)*)"/g, (q, body: string) => {
    const frag = JSON.parse(q) as string;
    const k = out.indexOf(frag);
    return k < 0 || body === '' ? q : JSON.stringify(from.slice(k, k + frag.length).join(''));
  });
}

/** End of the wildcard token at i, or i when none starts there. */
function wildcardEnd(s: string, i: number): number {
  const c = s[i];
  if (c === '*' || c === '?') {
    let j = i;
    while (s[j] === '*' || s[j] === '?') j++;
    return j;
  }
  if (c === '[') return s.indexOf(']', i + 2) + 1 || s.length;
  if (c === '{') {
    let depth = 0;
    for (let j = i; j < s.length; j++) {
      if (s[j] === '{') depth++;
      else if (s[j] === '}' && --depth === 0) return j + 1;
    }
    return s.length;
  }
  return i;
}
