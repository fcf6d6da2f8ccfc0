import { makeRe } from 'minimatch';
import { hasGlob, parseReference, patternTagProblem } from '../fields/reference.js';
import { GLOB_OPTIONS } from './compile.js';

/** Past this, brace expansion makes minimatch slow (`{1..100000}` takes half a second). */
export const MAX_BRACE_ALTERNATIVES = 1000;
const MAX_PATTERN_LENGTH = 512;

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

/**
 * Where the class opened by the `[` at `i` ends (just past its `]`), or -1 when it is not closed.
 * As minimatch reads a class: `]` right after `[` or `[!`/`[^` is a member, `\` escapes the next
 * character, and `[:alpha:]` is one member.
 */
function classEnd(p: string, i: number): number {
  let j = i + 1;
  if (p[j] === '!' || p[j] === '^') j++;
  if (p[j] === ']') j++;
  while (j < p.length) {
    if (p[j] === '\\') j += 2;
    else if (p[j] === ']') return j + 1;
    else if (p.startsWith('[:', j) && /^\[:[a-z]+:\]/.test(p.slice(j))) j = p.indexOf(':]', j + 2) + 2;
    else j++;
  }
  return -1;
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
  if (!PLAIN_GLOB.test(p) && makeRe(p, GLOB_OPTIONS) === false) return `invalid glob ${JSON.stringify(p)}`;
  return null;
}

/**
 * Letters, digits, `._:/@-` and the wildcards `*` and `?`: nothing minimatch reads as a class,
 * brace, extglob, escape or comment, so it always compiles such a glob (pattern.test.ts checks
 * this against minimatch) and the costly makeRe is needed only for the others.
 */
export const PLAIN_GLOB = /^[A-Za-z0-9._:/@*?-]+$/;

/** An upper bound of the number of brace expansions, without expanding. */
function braceAlternatives(p: string): number {
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
