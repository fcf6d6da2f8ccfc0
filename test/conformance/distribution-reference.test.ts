/** Image references against distribution/reference's own test cases (test/conformance/distribution-reference). */
import { describe, expect, it } from 'vitest';
import { familiar, formatReference, normalize, normalizeWithDefaultTag, parseExact, parseReference, repository } from '../../crd/fields/reference.js';
import { candidates, compilePattern } from '../../crd/imagepolicy/match.js';
import { imagePatternProblem } from '../../crd/imagepolicy/pattern.js';
import { expected, fixture, listedDifferences, type Fixture } from './fixtures.js';

const listed = listedDifferences();
const short = (s: string) => (s.length > 60 ? `${s.slice(0, 57)}...` : s);

const raw = fixture<Fixture & {
  parse: { test: string; input: string; valid: boolean; repository?: string; domain?: string; tag?: string; digest?: string }[];
  names: { test: string; input: string; valid: boolean; domain?: string; path?: string }[];
}>('distribution-reference/parse.json');

describe(`references as ${raw.upstream.repository}'s Parse reads them`, () => {
  it.each(raw.parse.map((c) => [short(c.input), c] as const))('%j', (_, c) => {
    const r = parseExact(c.input);
    expect(r.ok, r.ok ? '' : r.error).toBe(c.valid);
    if (!r.ok) return;
    expect(formatReference(r.ref)).toBe(c.input);
    expect({ repository: repository(r.ref), domain: r.ref.domain, tag: r.ref.tag ?? '', digest: r.ref.digest ?? '' }).toEqual({ repository: c.repository, domain: c.domain, tag: c.tag, digest: c.digest });
  });
  it.each(raw.names.map((c) => [c.test, short(c.input), c] as const))('%s %j', (_, __, c) => {
    const r = parseExact(c.input);
    const isName = r.ok && r.ref.tag === undefined && r.ref.digest === undefined;
    expect(isName).toBe(c.valid);
    if (r.ok && c.valid) expect([r.ref.domain, r.ref.path]).toEqual([c.domain, c.path]);
  });
});

const norm = fixture<Fixture & {
  valid: { test: string; input: string; valid: boolean }[];
  normalized: { test: string; input: string; familiar?: string; string?: string; domain?: string; path?: string }[];
  canonical: { input: string; canonical: boolean; domain?: string; path?: string }[];
  dockerRef: { name: string; input: string; string: string }[];
  match: { reference: string; pattern: string; matches: boolean; deliberate?: string; imagectl?: boolean | 'refused' }[];
}>('distribution-reference/normalize.json');

describe('references as the docker CLI reads them (ParseNormalizedNamed)', () => {
  it.each(norm.valid.map((c) => [c.test, short(c.input), c] as const))('%s %j', (_, __, c) => {
    const r = parseReference(c.input);
    expect(r.ok, r.ok ? '' : r.error).toBe(c.valid);
  });
  it.each(norm.normalized.map((c) => [c.test, short(c.input), c] as const))('%s %j', (_, __, c) => {
    const r = parseReference(c.input);
    if (!r.ok) throw new Error(r.error);
    if (c.string !== undefined) expect(normalize(c.input)).toBe(c.string);
    if (c.familiar !== undefined) expect(familiar(c.input)).toBe(c.familiar);
    if (c.domain !== undefined) expect([r.ref.domain, r.ref.path]).toEqual([c.domain, c.path]);
  });
  it.each(norm.canonical.map((c) => [c.input, c] as const))('ParseNamed %j', (_, c) => {
    const r = parseReference(c.input);
    expect(r.ok && formatReference(r.ref) === c.input).toBe(c.canonical);
    if (r.ok && c.canonical) expect([r.ref.domain, r.ref.path]).toEqual([c.domain, c.path]);
  });
  it.each(norm.dockerRef.map((c) => [c.name, c] as const))('ParseDockerRef: %s', (_, c) => {
    expect(normalizeWithDefaultTag(c.input)).toBe(c.string);
    expect(parseExact(normalizeWithDefaultTag(c.input)).ok).toBe(true);
  });
});

describe("docker's reference filter (FamiliarMatch) against imagectl's policy patterns", () => {
  it.each(norm.match.map((c) => [c.pattern, c.reference, c] as const))('%j against %j', (_, __, c) => {
    const got = imagePatternProblem(c.pattern) ? 'refused' : compilePattern(c.pattern).test(candidates([c.reference], []));
    expect(got).toBe(expected(c, c.matches, listed));
  });
});
