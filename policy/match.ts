/**
 * Which removal rule wins for an image, and what protects it. Pure.
 *
 * Patterns are minimatch globs over image references. Both the pattern and the image's references
 * are normalized first (`nginx:1` → `docker.io/library/nginx:1`), and the familiar short form
 * (`nginx:1`, `fixture/a:1`) is matched as well, so `nginx:*`, `docker.io/library/nginx:*` and
 * `*:*` all match `nginx:1`. `*` alone matches every image, even an untagged one.
 */
import { Minimatch } from 'minimatch';
import type { ImagePolicy } from '../crd/imagepolicy.js';
import { familiar, normalize, normalizePattern } from '../reference/reference.js';
import { checkRange, formatDuration, parseDuration } from './duration.js';

export interface CompiledPattern {
  source: string;
  test(candidates: readonly string[]): boolean;
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

export function compilePattern(source: string): CompiledPattern {
  if (source === '*' || source === '**') return { source, test: () => true };
  const variants = [...new Set([source, normalizePattern(source)])].map((p) => new Minimatch(p, MM_OPTS));
  return {
    source,
    test: (cands) => cands.some((c) => variants.some((m) => m.match(c))),
  };
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

export function compilePolicies(policies: readonly ImagePolicy[]): CompiledPolicies {
  const rules: CompiledRule[] = [];
  const keep: CompiledKeep[] = [];
  for (const p of policies) {
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
  }
  rules.sort((a, b) => a.deleteAfterMs - b.deleteAfterMs || a.policy.localeCompare(b.policy) || a.index - b.index);
  return { rules, keep };
}

/** All rules that match, most aggressive first (for `describe`). */
export function matchingRules(c: CompiledPolicies, img: MatchSubject): CompiledRule[] {
  const cands = candidates(img.tags, img.repoDigests);
  return c.rules.filter((r) => (!r.agentDownloadedOnly || img.agentDownloaded) && r.pattern.test(cands));
}

export function matchingKeeps(c: CompiledPolicies, img: MatchSubject): CompiledKeep[] {
  const cands = candidates(img.tags, img.repoDigests);
  return c.keep.filter((k) => k.pattern.test(cands));
}

/**
 * The winning rule (the shortest deleteAfter among the rules that match) and what protects the
 * image: a `keep` entry, a workload that references it, or the absence of any matching rule.
 */
export function decide(c: CompiledPolicies, img: MatchSubject, workloadRefs: ReadonlyMap<string, string> = new Map()): Verdict {
  const cands = candidates(img.tags, img.repoDigests);
  for (const k of c.keep) {
    if (k.pattern.test(cands)) return { rule: firstRule(c, img, cands), protectedBy: `keep ${k.id} (${k.pattern.source})` };
  }
  const rule = firstRule(c, img, cands);
  for (const cand of cands) {
    const w = workloadRefs.get(cand);
    if (w) return { rule, protectedBy: `workload ${w}` };
  }
  if (!rule) return { rule: null, protectedBy: 'no rule matches' };
  return { rule, protectedBy: null };
}

function firstRule(c: CompiledPolicies, img: MatchSubject, cands: string[]): CompiledRule | null {
  for (const r of c.rules) {
    if (r.agentDownloadedOnly && !img.agentDownloaded) continue;
    if (r.pattern.test(cands)) return r;
  }
  return null;
}
