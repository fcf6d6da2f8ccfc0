/**
 * BASELINE for B3: the matcher as it was before the rule index (policy/match.ts at 58d835e):
 * every glob compiled on every pass, every image tested against every rule in order until one
 * matches, no cache. Kept here only to measure what the index and the caches save.
 */
import { Minimatch } from 'minimatch';
import type { ImagePolicy } from '../../../crd/imagepolicy/type.js';
import { normalizePattern } from '../../../crd/fields/reference.js';
import { candidates, ruleDeleteAfter, type MatchSubject } from '../../../crd/imagepolicy/match.js';

const MM_OPTS = { dot: true, nonegate: true, nocomment: true, noext: false } as const;

interface NaiveRule {
  id: string;
  policy: string;
  index: number;
  deleteAfterMs: number;
  agentDownloadedOnly: boolean;
  test(c: readonly string[]): boolean;
}

function compile(source: string): (c: readonly string[]) => boolean {
  if (source === '*' || source === '**') return () => true;
  const variants = [...new Set([source, normalizePattern(source)])].map((p) => new Minimatch(p, MM_OPTS));
  return (cands) => cands.some((c) => variants.some((m) => m.match(c)));
}

export function naiveCompile(policies: readonly ImagePolicy[]): { rules: NaiveRule[]; keep: { id: string; test(c: readonly string[]): boolean }[] } {
  const rules: NaiveRule[] = [];
  const keep: { id: string; test(c: readonly string[]): boolean }[] = [];
  for (const p of policies) {
    (p.spec.removal ?? []).forEach((r, index) => {
      const d = ruleDeleteAfter(r);
      if (d) rules.push({ id: `${p.metadata.name}/removal[${index}]`, policy: p.metadata.name, index, deleteAfterMs: d.ms, agentDownloadedOnly: r.agentDownloadedOnly === true, test: compile(r.imageName) });
    });
    (p.spec.keep ?? []).forEach((k, index) => keep.push({ id: `${p.metadata.name}/keep[${index}]`, test: compile(k) }));
  }
  rules.sort((a, b) => a.deleteAfterMs - b.deleteAfterMs || a.policy.localeCompare(b.policy) || a.index - b.index);
  return { rules, keep };
}

/** The winning rule id and the protecting keep id, like decide(). */
export function naiveDecide(c: ReturnType<typeof naiveCompile>, img: MatchSubject): { rule: string | null; keep: string | null } {
  const cands = candidates(img.tags, img.repoDigests);
  const keep = c.keep.find((k) => k.test(cands))?.id ?? null;
  const rule = c.rules.find((r) => (!r.agentDownloadedOnly || img.agentDownloaded) && r.test(cands))?.id ?? null;
  return { rule, keep };
}
