/** Open Horizon constraint expressions and versions against anax's own test cases (test/conformance/anax). */
import { describe, expect, it } from 'vitest';
import { parseConstraint, satisfies, type Property } from '../../crd/fields/constraints.js';
import { compareVersions, inRange, isVersionExpression, isVersionString, parseVersionRange } from '../../crd/fields/versions.js';
import { expected, fixture, listedDifferences, type Fixture } from './fixtures.js';

const listed = listedDifferences();

interface Case {
  file: string;
  test: string;
  constraints: string[];
  deliberate?: string;
  imagectl?: boolean;
}

const syntax = fixture<Fixture & { cases: (Case & { valid: boolean })[] }>('anax/constraint-syntax.json');
const satisfaction = fixture<Fixture & { cases: (Case & { properties: Property[]; satisfied: boolean })[] }>('anax/constraint-satisfaction.json');

describe(`constraint syntax, as ${syntax.upstream.repository} accepts it`, () => {
  it.each(syntax.cases.map((c) => [`${c.test}: ${c.constraints.join(' | ')}`, c] as const))('%s', (_, c) => {
    const problems = c.constraints.map((x) => parseConstraint(x)).filter((r) => !r.ok);
    expect(problems.length === 0, JSON.stringify(problems)).toBe(expected(c, c.valid, listed));
  });
});

describe(`constraint satisfaction, as ${satisfaction.upstream.repository} decides it`, () => {
  it.each(satisfaction.cases.map((c) => [`${c.test}: ${c.constraints.join(' | ') || '(none)'}`, c] as const))('%s', (_, c) => {
    const r = satisfies(c.constraints, c.properties, { props: 'the properties', constraint: 'constraint' });
    expect(r.ok, r.reason).toBe(expected(c, c.satisfied, listed));
  });
});

const versions = fixture<Fixture & {
  ranges: { test: string; range: string; valid: boolean }[];
  within: { test: string; range: string; version: string; within: boolean }[];
  expressions: { text: string; isExpression: boolean }[];
  versions: { text: string; isVersion: boolean }[];
  compare: { a: string; b: string; result: number | null }[];
}>('anax/versions.json');

describe('versions and version ranges, as anax compares them', () => {
  it.each(versions.ranges.map((c) => [c.range, c.valid] as const))('range %j is valid: %s', (range, valid) => {
    expect(parseVersionRange(range).ok).toBe(valid);
  });
  it.each(versions.within.map((c) => [c.version, c.range, c.within] as const))('%j in %s: %s', (version, range, within) => {
    const r = parseVersionRange(range);
    expect(r.ok && inRange(r.range, version)).toBe(within);
  });
  it.each(versions.expressions.map((c) => [c.text, c.isExpression] as const))('%j is a range expression: %s', (text, want) => {
    expect(isVersionExpression(text)).toBe(want);
  });
  it.each(versions.versions.map((c) => [c.text, c.isVersion] as const))('%j is a version: %s', (text, want) => {
    expect(isVersionString(text)).toBe(want);
  });
  it.each(versions.compare.map((c) => [c.a, c.b, c.result] as const))('compare(%j, %j) = %s', (a, b, result) => {
    expect(compareVersions(a, b)).toBe(result);
  });
  it('reads a single version as [version,INFINITY)', () => {
    expect(parseVersionRange('1.2.3')).toEqual({ ok: true, range: { start: '1.2.3', startInclusive: true, end: 'INFINITY', endInclusive: false } });
  });
});
