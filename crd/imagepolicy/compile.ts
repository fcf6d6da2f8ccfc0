/**
 * Compiling ImagePolicies for matching: each glob once, each policy set once. Pure.
 *
 * Patterns are minimatch globs over image references, in one dialect (`GLOB_OPTIONS`): `dot`
 * (image names have no hidden files), no `!` negation and no `#` comments. Both the pattern and
 * the image's references are normalized first (`nginx:1` → `docker.io/library/nginx:1`), and the
 * familiar short form (`nginx:1`, `fixture/a:1`) is matched as well.
 */
import type { ImagePolicy } from './type.js';
import { compileGlob, GLOB_OPTIONS } from './glob.js';
import { familiar, normalize, normalizePattern } from '../fields/reference.js';
import { checkRange, formatDuration, parseDuration } from '../fields/duration.js';

export interface CompiledPattern {
  source: string;
  test(candidates: readonly string[]): boolean;
  /**
   * Literal prefixes: every string a variant matches starts with one of them ('' = may match
   * anything). Used by the rule index; absent on hand-made patterns (treated as '').
   */
  readonly prefixes?: readonly string[];
}

export interface CompiledRule {
  /** `policy/removal[index]` */
  id: string;
  policy: string;
  index: number;
  pattern: CompiledPattern;
  deleteAfterMs: number;
  /** as written: `30m`, or `30m0s` for deleteAfterMinutes: 30 */
  deleteAfter: string;
  agentDownloadedOnly: boolean;
}

export interface CompiledKeep {
  /** `policy/keep[index]` */
  id: string;
  pattern: CompiledPattern;
}

export interface CompiledPolicies {
  /** most aggressive first: shortest deleteAfter, then policy name, then index */
  rules: CompiledRule[];
  keep: CompiledKeep[];
}

export { GLOB_OPTIONS };

/** One glob, as imagectl's dialect reads it (without the image-name normalization). */
export function globMatcher(pattern: string): (s: string) => boolean {
  const g = compileGlob(pattern);
  return (s) => g.test(s);
}

/** Characters that end the literal part of a minimatch pattern (globs, classes, braces, extglobs, escapes). */
const SPECIAL = /[*?[\]{}()!+@\\|]/;

/**
 * The literal prefix that every string matched by `p` starts with, or '' when none is safe to
 * claim. Minimatch collapses `//` and resolves `.` and `..` segments in patterns, and a `**`
 * segment may stand for nothing: those give no prefix, or a shorter one.
 */
export function literalPrefix(p: string): string {
  if (p.includes('//') || p.split('/').some((s) => s === '.' || s === '..')) return '';
  const m = SPECIAL.exec(p);
  if (!m) return p;
  let lit = p.slice(0, m.index);
  const segStart = lit.lastIndexOf('/') + 1;
  // `a/**`: keep only what precedes the globstar's slash
  if (p.startsWith('**', segStart) && (p.length === segStart + 2 || p[segStart + 2] === '/')) lit = lit.slice(0, Math.max(0, segStart - 1));
  return lit;
}

/**
 * Compiled patterns by source, least recently used first. Bounded by what they hold (brace
 * alternatives), not only by their number, so that a set of big patterns cannot keep memory: the
 * oldest are dropped (and collected) once the cache holds more than PATTERN_CACHE_COST.
 */
const patternCache = new Map<string, { c: CompiledPattern; cost: number }>();
const PATTERN_CACHE_MAX = 20_000;
export const PATTERN_CACHE_COST = 50_000;
let cachedCost = 0;

/** What the pattern cache holds: entries and brace alternatives (tests and the budget read it). */
export function patternCacheSize(): { entries: number; alternatives: number } {
  return { entries: patternCache.size, alternatives: cachedCost };
}

/** Compile a glob (cached by its source: compiling is the expensive part of matching). */
export function compilePattern(source: string): CompiledPattern {
  const hit = patternCache.get(source);
  if (hit) {
    patternCache.delete(source);
    patternCache.set(source, hit);
    return hit.c;
  }
  let c: CompiledPattern;
  let cost = 1;
  if (source === '*' || source === '**') c = { source, test: () => true, prefixes: [''] };
  else {
    const sources = [...new Set([source, normalizePattern(source)])];
    const variants = sources.map(compileGlob);
    cost = variants.reduce((n, v) => n + v.alternatives, 0);
    c = { source, test: (cands) => cands.some((cand) => variants.some((m) => m.test(cand))), prefixes: sources.map(literalPrefix) };
  }
  patternCache.set(source, { c, cost });
  cachedCost += cost;
  for (const [k, v] of patternCache) {
    if (cachedCost <= PATTERN_CACHE_COST && patternCache.size <= PATTERN_CACHE_MAX) break;
    patternCache.delete(k);
    cachedCost -= v.cost;
  }
  return c;
}

/** The strings a pattern is matched against: each tag and repo digest, normalized and familiar. */
export function candidates(tags: readonly string[], repoDigests: readonly string[]): string[] {
  const out = new Set<string>();
  for (const r of [...tags, ...repoDigests]) {
    if (r === '<none>:<none>' || r === '<none>@<none>') continue;
    out.add(normalize(r));
    out.add(familiar(r));
  }
  return [...out];
}

export function ruleDeleteAfter(r: { deleteAfter?: string; deleteAfterMinutes?: number }): { ms: number; text: string } | null {
  if (r.deleteAfter !== undefined) {
    const d = parseDuration(r.deleteAfter);
    return d.ok ? { ms: d.ms, text: r.deleteAfter } : null;
  }
  if (r.deleteAfterMinutes !== undefined) {
    const d = checkRange(r.deleteAfterMinutes * 60_000, String(r.deleteAfterMinutes));
    return d.ok ? { ms: d.ms, text: formatDuration(d.ms) } : null;
  }
  return null;
}

function compileOne(p: ImagePolicy): CompiledPolicies {
  const rules: CompiledRule[] = [];
  const keep: CompiledKeep[] = [];
  const name = p.metadata.name;
  (p.spec.removal ?? []).forEach((r, index) => {
    const d = ruleDeleteAfter(r);
    if (!d) return; // validated on apply; a rule that cannot be read removes nothing
    rules.push({
      id: `${name}/removal[${index}]`,
      policy: name,
      index,
      pattern: compilePattern(r.imageName),
      deleteAfterMs: d.ms,
      deleteAfter: d.text,
      agentDownloadedOnly: r.agentDownloadedOnly === true,
    });
  });
  (p.spec.keep ?? []).forEach((k, index) => keep.push({ id: `${name}/keep[${index}]`, pattern: compilePattern(k) }));
  return { rules, keep };
}

/** The last compilation: a pass compiles the same policy objects again and again. */
let last: { policies: readonly ImagePolicy[]; snapshot: string[]; compiled: CompiledPolicies } | null = null;

/**
 * Compile policies (most aggressive rule first). The same policy objects, unchanged, give back the
 * same CompiledPolicies object, so that its index and verdict cache survive from pass to pass.
 */
export function compilePolicies(policies: readonly ImagePolicy[]): CompiledPolicies {
  if (last && last.policies.length === policies.length && last.policies.every((p, i) => p === policies[i])) {
    // same objects; guard against in-place edits with a cheap fingerprint
    if (policies.every((p, i) => fingerprint(p) === last!.snapshot[i])) return last.compiled;
  }
  const rules: CompiledRule[] = [];
  const keep: CompiledKeep[] = [];
  for (const p of policies) {
    const one = compileOne(p);
    rules.push(...one.rules);
    keep.push(...one.keep);
  }
  rules.sort((a, b) => a.deleteAfterMs - b.deleteAfterMs || a.policy.localeCompare(b.policy) || a.index - b.index);
  const compiled = { rules, keep };
  last = { policies: [...policies], snapshot: policies.map(fingerprint), compiled };
  return compiled;
}

const fingerprint = (p: ImagePolicy) => JSON.stringify([p.metadata.name, p.spec.removal, p.spec.keep]);
