/**
 * Which removal rule wins for an image, and what protects it. Pure.
 *
 * Patterns are minimatch globs over image references. Both the pattern and the image's references
 * are normalized first (`nginx:1` → `docker.io/library/nginx:1`), and the familiar short form
 * (`nginx:1`, `fixture/a:1`) is matched as well, so `nginx:*`, `docker.io/library/nginx:*` and
 * `*:*` all match `nginx:1`. `*` alone matches every image, even an untagged one.
 *
 * Cost: a pass decides every image against every rule, so three things keep it cheap at scale
 * (thousands of rules, 100k images): each glob is compiled once and reused (`compilePattern`
 * caches by source, `compilePolicies` returns the same object for the same policy objects); rules
 * are indexed by the literal prefix of their patterns, so an image is only tested against the rules
 * that can match it; and verdicts are cached per compiled policy set by the image's references,
 * so a steady-state pass re-decides nothing.
 */
import { Minimatch } from 'minimatch';
import type { ImagePolicy } from './type.js';
import { familiar, normalize, normalizePattern } from '../fields/reference.js';
import { checkRange, formatDuration, parseDuration } from '../fields/duration.js';
import { sameList } from '../fields/lists.js';

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

export interface MatchSubject {
  /** the image ID, when known: verdicts are then also cached by it */
  id?: string;
  tags: readonly string[];
  repoDigests: readonly string[];
  agentDownloaded: boolean;
}

export interface Verdict {
  rule: CompiledRule | null;
  /** why the image may not be removed, or null */
  protectedBy: string | null;
}

const MM_OPTS = { dot: true, nonegate: true, nocomment: true, noext: false } as const;

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

const patternCache = new Map<string, CompiledPattern>();
const PATTERN_CACHE_MAX = 20_000;

/** Compile a glob (cached by its source: compiling is the expensive part of matching). */
export function compilePattern(source: string): CompiledPattern {
  const hit = patternCache.get(source);
  if (hit) return hit;
  let c: CompiledPattern;
  if (source === '*' || source === '**') c = { source, test: () => true, prefixes: [''] };
  else {
    const sources = [...new Set([source, normalizePattern(source)])];
    const variants = sources.map((p) => new Minimatch(p, MM_OPTS));
    c = { source, test: (cands) => cands.some((cand) => variants.some((m) => m.match(cand))), prefixes: sources.map(literalPrefix) };
  }
  if (patternCache.size >= PATTERN_CACHE_MAX) patternCache.clear();
  patternCache.set(source, c);
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

/** Rules (or keeps) by the literal prefixes of their patterns. */
class PrefixIndex {
  /** indices of entries that may match anything */
  private readonly always: number[] = [];
  private readonly byPrefix = new Map<string, number[]>();
  private readonly lengths: number[];

  constructor(readonly size: number, patterns: readonly CompiledPattern[]) {
    patterns.forEach((pat, i) => {
      const prefixes = pat.prefixes ?? [''];
      if (prefixes.some((p) => p === '')) {
        this.always.push(i);
        return;
      }
      for (const p of new Set(prefixes)) {
        const list = this.byPrefix.get(p);
        if (list) list.push(i);
        else this.byPrefix.set(p, [i]);
      }
    });
    this.lengths = [...new Set([...this.byPrefix.keys()].map((k) => k.length))].sort((a, b) => a - b);
  }

  /** Ascending indices of the entries that may match one of `cands`. */
  candidatesFor(cands: readonly string[]): number[] {
    if (this.byPrefix.size === 0) return this.always;
    const hits = new Set<number>(this.always);
    for (const c of cands) {
      // minimatch collapses `//` in the path: such a string may match more than its prefix says
      if (c.includes('//')) return Array.from({ length: this.size }, (_, i) => i);
      for (const len of this.lengths) {
        if (len > c.length) break;
        const list = this.byPrefix.get(c.slice(0, len));
        if (list) for (const i of list) hits.add(i);
      }
    }
    return [...hits].sort((a, b) => a - b);
  }
}

interface Cached {
  cands: string[];
  keep: CompiledKeep | null;
  rule: CompiledRule | null;
  /** the verdict when no workload references the image (shared: callers must not mutate it) */
  verdict: Verdict;
}

/** A verdict remembered by image ID, valid while the image shows the same references. */
interface ById {
  tags: readonly string[];
  repoDigests: readonly string[];
  agentDownloaded: boolean;
  v: Cached;
}

interface Matcher {
  rules: PrefixIndex;
  keep: PrefixIndex;
  /** verdict parts by the image's references; dropped with the CompiledPolicies they belong to */
  verdicts: Map<string, Cached>;
  /** the same verdicts by image ID: a steady-state pass finds them without building a key */
  byId: Map<string, ById>;
}

const VERDICT_CACHE_MAX = 200_000;
const matchers = new WeakMap<CompiledPolicies, Matcher>();

function matcherFor(c: CompiledPolicies): Matcher {
  let m = matchers.get(c);
  if (!m || m.rules.size !== c.rules.length || m.keep.size !== c.keep.length) {
    m = { rules: new PrefixIndex(c.rules.length, c.rules.map((r) => r.pattern)), keep: new PrefixIndex(c.keep.length, c.keep.map((k) => k.pattern)), verdicts: new Map(), byId: new Map() };
    matchers.set(c, m);
  }
  return m;
}

/** All rules that match, most aggressive first (for `describe`). */
export function matchingRules(c: CompiledPolicies, img: MatchSubject): CompiledRule[] {
  const cands = candidates(img.tags, img.repoDigests);
  return matcherFor(c)
    .rules.candidatesFor(cands)
    .map((i) => c.rules[i]!)
    .filter((r) => (!r.agentDownloadedOnly || img.agentDownloaded) && r.pattern.test(cands));
}

export function matchingKeeps(c: CompiledPolicies, img: MatchSubject): CompiledKeep[] {
  const cands = candidates(img.tags, img.repoDigests);
  return matcherFor(c)
    .keep.candidatesFor(cands)
    .map((i) => c.keep[i]!)
    .filter((k) => k.pattern.test(cands));
}

function firstRule(c: CompiledPolicies, m: Matcher, img: MatchSubject, cands: string[]): CompiledRule | null {
  for (const i of m.rules.candidatesFor(cands)) {
    const r = c.rules[i]!;
    if (r.agentDownloadedOnly && !img.agentDownloaded) continue;
    if (r.pattern.test(cands)) return r;
  }
  return null;
}

function firstKeep(c: CompiledPolicies, m: Matcher, cands: string[]): CompiledKeep | null {
  for (const i of m.keep.candidatesFor(cands)) if (c.keep[i]!.pattern.test(cands)) return c.keep[i]!;
  return null;
}

/**
 * The winning rule (the shortest deleteAfter among the rules that match) and what protects the
 * image: a `keep` entry, a workload that references it, or the absence of any matching rule.
 */
export function decide(c: CompiledPolicies, img: MatchSubject, workloadRefs: ReadonlyMap<string, string> = new Map()): Verdict {
  const m = matcherFor(c);
  const hit = img.id === undefined ? undefined : m.byId.get(img.id);
  let v = hit && hit.agentDownloaded === img.agentDownloaded && sameList(hit.tags, img.tags) && sameList(hit.repoDigests, img.repoDigests) ? hit.v : undefined;
  if (!v) {
    const key = `${img.agentDownloaded ? 1 : 0}\n${img.tags.join('\n')}\n@${img.repoDigests.join('\n')}`;
    v = m.verdicts.get(key);
    if (!v) {
      const cands = candidates(img.tags, img.repoDigests);
      const keep = firstKeep(c, m, cands);
      const rule = firstRule(c, m, img, cands);
      const verdict: Verdict = { rule, protectedBy: keep ? `keep ${keep.id} (${keep.pattern.source})` : rule ? null : 'no rule matches' };
      v = { cands, keep, rule, verdict };
      if (m.verdicts.size >= VERDICT_CACHE_MAX) m.verdicts.clear();
      m.verdicts.set(key, v);
    }
    if (img.id !== undefined) {
      if (m.byId.size >= VERDICT_CACHE_MAX) m.byId.clear();
      m.byId.set(img.id, { tags: img.tags, repoDigests: img.repoDigests, agentDownloaded: img.agentDownloaded, v });
    }
  }
  if (v.keep || workloadRefs.size === 0) return v.verdict;
  for (const cand of v.cands) {
    const w = workloadRefs.get(cand);
    if (w) return { rule: v.rule, protectedBy: `workload ${w}` };
  }
  return v.verdict;
}

