/**
 * Image-pattern globs in imagectl's minimatch dialect, matched in time linear in the pattern times
 * the reference. Pure.
 *
 * Why not minimatch's own matcher: it turns each path segment into a backtracking RegExp, and a
 * segment with k `*` costs O(n^k) on a reference of n characters (`a*a*a*a*c` against 400 `a`s
 * takes 15 s), and it keeps about 1 MB per pattern of 1000 brace alternatives. Here the braces are
 * expanded with minimatch's own `braceExpand`, and each alternative made of literals, `*`, `?`,
 * classes and `**` segments is matched with the classic one-star-backtrack wildcard algorithm, on
 * characters within a segment and on segments around `**` (O(pattern × reference) worst case). A
 * class is tested one character at a time with the RegExp minimatch makes for it. Anything else
 * (extglobs, escapes, empty, `.` or `..` segments) and any string whose segments minimatch treats
 * specially (empty, `.`, `..`, which no image reference has) goes to minimatch itself, so the
 * answers are minimatch's; crd/imagepolicy/glob.test.ts checks that against minimatch, and
 * test/conformance/minimatch runs minimatch's own cases through this matcher.
 */
import { braceExpand, makeRe, Minimatch } from 'minimatch';

/** The minimatch options of every image pattern. */
export const GLOB_OPTIONS = { dot: true, nonegate: true, nocomment: true, noext: false } as const;
const ONE_ALTERNATIVE = { ...GLOB_OPTIONS, nobrace: true } as const;

export interface Glob {
  readonly source: string;
  /** how many brace alternatives it expanded to */
  readonly alternatives: number;
  test(s: string): boolean;
}

/**
 * A segment with wildcards: in `p`, `*` is any run, `?` any one character and NUL a class, whose
 * test is `cls[i]` (literal `*`, `?` and NUL cannot occur: escapes go to minimatch).
 */
interface Wild {
  p: string;
  cls?: (RegExp | undefined)[];
}
const GLOBSTAR = 2;
const ANY_SEGMENT = 3;
/** a path segment: literal text, characters with wildcards, `**`, or exactly one segment of any text */
type Seg = string | Wild | typeof GLOBSTAR | typeof ANY_SEGMENT;

/** The end (past `]`) of the class opened at `i`, as minimatch reads classes, or -1. */
export function classEnd(p: string, i: number): number {
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

const classes = new Map<string, RegExp | null>();
/** One class as a test of one character (prefixed, so that no start-of-segment rule applies). */
function classTest(cls: string): RegExp | null {
  let re = classes.get(cls);
  if (re === undefined) {
    if (classes.size >= 1000) classes.clear();
    const m = makeRe(`x${cls}`, ONE_ALTERNATIVE);
    re = m === false || cls.includes('\\') ? null : m;
    classes.set(cls, re);
  }
  return re;
}

/** A segment as literal text or a Wild, or null when it needs minimatch (extglobs, escapes, unclosed classes). */
function segment(seg: string): string | Wild | null {
  if (!/[*?[\]\\()|+@!\0]/.test(seg)) return seg;
  const p: string[] = [];
  let cls: (RegExp | undefined)[] | undefined;
  for (let i = 0; i < seg.length; i++) {
    const c = seg[i]!;
    if (c === '*') {
      if (p.at(-1) !== '*') p.push('*');
    } else if (c === '?' || c === '+' || c === '@' || c === '!') {
      if (seg[i + 1] === '(') return null;
      p.push(c);
    } else if (c === '[') {
      const end = classEnd(seg, i);
      const re = end < 0 ? null : classTest(seg.slice(i, end));
      if (!re) return null;
      (cls ??= [])[p.length] = re;
      p.push('\0');
      i = end - 1;
    } else if (c === '\\' || c === '(' || c === ')' || c === '|' || c === ']' || c === '\0') return null;
    else p.push(c);
  }
  const text = p.join('');
  if (!/[*?\0]/.test(text)) return text;
  return cls ? { p: text, cls } : { p: text };
}

/** An alternative's segments, or null when minimatch must match it; `shared` keeps one copy of each literal. */
function segments(alt: string, shared?: Map<string, string>): Seg[] | null {
  const parts = alt.split(/\/+/);
  const out: Seg[] = [];
  for (const part of parts) {
    if (part === '' || part === '.' || part === '..') return null;
    if (part === '**') {
      if (out.at(-1) !== GLOBSTAR) out.push(GLOBSTAR);
      continue;
    }
    const seg = segment(part);
    if (seg === null) return null;
    if (typeof seg !== 'string' || !shared) out.push(seg);
    else {
      const known = shared.get(seg);
      if (known === undefined) shared.set(seg, seg);
      out.push(known ?? seg);
    }
  }
  // a trailing `**` stands for at least one segment (minimatch: `a/**` does not match `a`)
  if (out.at(-1) === GLOBSTAR) out.splice(out.length - 1, 0, ANY_SEGMENT);
  return out;
}

/** `*` any run, `?` any one, a class one of its characters: one-star backtracking, no recursion. */
function charsMatch(w: Wild, s: string): boolean {
  const p = w.p;
  let pi = 0;
  let si = 0;
  let star = -1;
  let mark = 0;
  while (si < s.length) {
    const t = p[pi];
    if (t === '?' || (t === '\0' ? w.cls![pi]!.test(`x${s[si]}`) : t !== '*' && t === s[si])) {
      pi++;
      si++;
    } else if (t === '*') {
      star = pi++;
      mark = si;
    } else if (star >= 0) {
      pi = star + 1;
      si = ++mark;
    } else return false;
  }
  while (p[pi] === '*') pi++;
  return pi === p.length;
}

function segMatch(p: Seg, f: string): boolean {
  if (p === ANY_SEGMENT) return true;
  if (typeof p === 'string') return p === f;
  return p !== GLOBSTAR && charsMatch(p, f);
}

/** The same algorithm one level up: `**` is the star, every other segment matches one segment. */
function segsMatch(p: readonly Seg[], f: readonly string[]): boolean {
  let pi = 0;
  let fi = 0;
  let star = -1;
  let mark = 0;
  while (fi < f.length) {
    const s = p[pi];
    if (s !== undefined && s !== GLOBSTAR && segMatch(s, f[fi]!)) {
      pi++;
      fi++;
    } else if (s === GLOBSTAR) {
      star = pi++;
      mark = fi;
    } else if (star >= 0) {
      pi = star + 1;
      fi = ++mark;
    } else return false;
  }
  while (p[pi] === GLOBSTAR) pi++;
  return pi === p.length;
}

/** Segments as minimatch splits a path, or null when one of them is one minimatch treats specially. */
function fileSegments(s: string): string[] | null {
  const f = s.includes('//') ? s.split(/\/+/) : s.split('/');
  for (const x of f) if (x === '' || x === '.' || x === '..') return null;
  return f;
}

/** Compile a glob (braces expanded here, each alternative compiled once). */
export function compileGlob(source: string): Glob {
  const alts = expandBraces(source);
  const fast: Seg[][] = [];
  /** without `**`, an alternative matches only strings of as many segments as it has */
  const fixed: boolean[] = [];
  const slow: string[] = [];
  const shared = new Map<string, string>();
  for (const a of alts) {
    const segs = segments(a, shared);
    if (segs) {
      fast.push(segs);
      fixed.push(!segs.includes(GLOBSTAR));
    } else slow.push(a);
  }
  // minimatch for the rest, and for strings with special segments, made on first use
  let mm: Minimatch[] | null = null;
  let whole: Minimatch | null = null;
  const viaMinimatch = (s: string, all: boolean) => {
    if (all) return (whole ??= new Minimatch(source, GLOB_OPTIONS)).match(s);
    mm ??= slow.map((a) => new Minimatch(a, ONE_ALTERNATIVE));
    return mm.some((m) => m.match(s));
  };
  return {
    source,
    alternatives: alts.length,
    test(s) {
      const f = fileSegments(s);
      if (!f) return viaMinimatch(s, true);
      for (let i = 0; i < fast.length; i++) {
        const segs = fast[i]!;
        if ((!fixed[i] || segs.length === f.length) && segsMatch(segs, f)) return true;
      }
      return slow.length > 0 && viaMinimatch(s, false);
    },
  };
}

/** The alternatives of a glob that minimatch itself must match (extglobs, escapes, special segments). */
export function slowAlternatives(source: string): string[] {
  return expandBraces(source).filter((a) => segments(a) === null);
}

/**
 * A glob's brace alternatives, as minimatch expands them, but never more than `max` (a bound even
 * for a pattern that was not validated: one from a store written by hand).
 */
export function expandBraces(source: string, max = MAX_EXPANSION): string[] {
  return [...new Set(braceExpand(source, { ...GLOB_OPTIONS, braceExpandMax: max }))];
}

/** What any one pattern may expand to (validation refuses more, see budget.ts). */
const MAX_EXPANSION = 1001;
