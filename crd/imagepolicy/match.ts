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
import { candidates, type CompiledKeep, type CompiledPolicies, type CompiledRule } from './compile.js';
import { PrefixIndex } from './prefix-index.js';
import { sameList } from '../fields/lists.js';

export { candidates, compilePattern, compilePolicies, globMatcher, GLOB_OPTIONS, literalPrefix, patternCacheSize, ruleDeleteAfter } from './compile.js';
export type { CompiledKeep, CompiledPattern, CompiledPolicies, CompiledRule } from './compile.js';

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

