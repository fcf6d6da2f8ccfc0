/** Image-pattern globs against minimatch's own pattern tests (test/conformance/minimatch). */
import { describe, expect, it } from 'vitest';
import { globMatcher } from '../../crd/imagepolicy/match.js';
import { globDialectProblem } from '../../crd/imagepolicy/pattern.js';
import { expected, fixture, listedDifferences, type Fixture } from './fixtures.js';

const listed = listedDifferences();
const alpha = (a: string, b: string) => a.toLowerCase().localeCompare(b.toLowerCase(), 'en');

interface Case {
  section?: string;
  pattern: string;
  options: Record<string, boolean>;
  files: string[];
  matches: string[];
  deliberate?: string;
  imagectl?: string[] | 'refused';
}

const patterns = fixture<Fixture & { cases: Case[] }>('minimatch/patterns.json');

/** minimatch.match(files, pattern) with imagectl's glob dialect. */
function imagectlMatch(c: Case): string[] | 'refused' {
  if (globDialectProblem(c.pattern)) return 'refused';
  const m = globMatcher(c.pattern);
  const hits = [...new Set(c.files.filter((f) => m(f)))];
  return (hits.length === 0 && c.options.nonull ? [c.pattern] : hits).sort(alpha);
}

describe(`globs, as ${patterns.upstream.repository}'s pattern tests match them`, () => {
  it('has the upstream cases', () => expect(patterns.cases.length).toBeGreaterThan(150));
  it.each(patterns.cases.map((c) => [JSON.stringify(c.pattern), JSON.stringify(c.options), c] as const))('%s %s', (_, __, c) => {
    expect(imagectlMatch(c)).toEqual(expected(c, [...c.matches].sort(alpha), listed));
  });
});
