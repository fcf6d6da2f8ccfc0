/**
 * The model reads globs and references on its own (catalog.ts); on every pair of the catalog its
 * reading must be the product's (crd/imagepolicy/match.ts), or the model would judge the planner
 * by a different dialect. A disagreement here is a bug in one of the two.
 */
import { describe, expect, it } from 'vitest';
import { candidates, compilePattern } from '../../crd/imagepolicy/match.js';
import { manifestOf, modelMatches, PATTERNS, REFS } from './catalog.js';

const DIGESTS = ['localhost:5000/app', 'localhost:5000/tools/cli', 'busybox'].map((r) => `${r}@${manifestOf(0)}`);

describe('the model reads the catalog\'s globs as the product does', () => {
  const pairs = PATTERNS.flatMap((p) => [...REFS, ...DIGESTS].map((r) => [p, r] as const));

  it.each(pairs)('%s against %s', (pattern, ref) => {
    const digest = ref.includes('@');
    const product = pattern === '*' || compilePattern(pattern).test(candidates(digest ? [] : [ref], digest ? [ref] : []));
    expect(modelMatches(pattern, [ref])).toBe(product);
  });

  it('matches something and misses something for every glob but the match-all ones', () => {
    for (const p of PATTERNS) {
      const hits = [...REFS, ...DIGESTS].filter((r) => modelMatches(p, [r])).length;
      expect(hits, p).toBeGreaterThan(0);
      if (p !== '*' && p !== `localhost:5000/**`) expect(hits, p).toBeLessThan(REFS.length + DIGESTS.length);
    }
  });
});
