/** Label selectors against Kubernetes apimachinery's own test cases (test/conformance/apimachinery). */
import { describe, expect, it } from 'vitest';
import { matchesSelector, newRequirement, parseSelector, selectorString, type Operator, type Requirement } from '../../crd/fields/label-selector.js';
import { selectorTerms, selectsNode } from '../../crd/imagepolicy/node-selector.js';
import type { NodeSelector } from '../../crd/imagepolicy/type.js';
import { expected, fixture, listedDifferences, type Fixture } from './fixtures.js';

const listed = listedDifferences();
type RawRequirement = { key: string; operator: string; values: string[] };

const sel = fixture<Fixture & {
  parse: { test: string; selector: string; valid: boolean; string?: string }[];
  match: { selector: string; labels: Record<string, string>; matches: boolean }[];
  requirementMatching: { labels: Record<string, string>; requirements: RawRequirement[]; matches: boolean }[];
  requirements: { key: string; operator: string; values: string[]; valid: boolean }[];
  strings: { requirements: RawRequirement[]; string: string }[];
}>('apimachinery/selectors.json');

/** Requirements as the upstream test builds them (NewRequirement), which must succeed. */
function build(raw: RawRequirement[]): Requirement[] {
  return raw.map((r) => {
    const made = newRequirement(r.key, r.operator as Operator, r.values);
    if (!made.ok) throw new Error(made.error);
    return made.requirement;
  });
}

describe(`label selectors (-l), as ${sel.upstream.repository} parses them`, () => {
  it.each(sel.parse.map((c) => [`${c.test}: ${JSON.stringify(c.selector)}`, c] as const))('%s', (_, c) => {
    const r = parseSelector(c.selector);
    expect(r.ok, r.ok ? '' : r.error).toBe(c.valid);
    if (r.ok && c.string !== undefined) expect(selectorString(r.requirements)).toBe(c.string);
  });
  it.each(sel.match.map((c) => [c.selector, JSON.stringify(c.labels), c] as const))('%j against %s', (_, __, c) => {
    const r = parseSelector(c.selector);
    if (!r.ok) throw new Error(r.error);
    expect(matchesSelector(r.requirements, c.labels)).toBe(c.matches);
  });
  it.each(sel.requirementMatching.map((c) => [JSON.stringify(c.requirements), JSON.stringify(c.labels), c] as const))('%s against %s', (_, __, c) => {
    expect(matchesSelector(build(c.requirements), c.labels)).toBe(c.matches);
  });
  it.each(sel.requirements.map((c) => [c.key.slice(0, 20), c.operator, JSON.stringify(c.values).slice(0, 30), c] as const))('requirement %s %s %s', (_, __, ___, c) => {
    expect(newRequirement(c.key, c.operator as Operator, c.values).ok).toBe(c.valid);
  });
  it.each(sel.strings.map((c) => [c.string, c] as const))('writes %j', (_, c) => {
    expect(selectorString(build(c.requirements))).toBe(c.string);
  });
});

const objects = fixture<Fixture & {
  cases: { test: string; selector: NodeSelector | null; valid: boolean; string?: string; everything?: boolean; nothing?: boolean; deliberate?: string; imagectl?: { everything: boolean } }[];
  matches: { test: string; selector: NodeSelector; labels: Record<string, string>; matches: boolean }[];
}>('apimachinery/label-selector-objects.json');

describe('nodeSelector objects, as LabelSelectorAsSelector reads them', () => {
  it.each(objects.cases.map((c) => [`${c.test}: ${JSON.stringify(c.selector)}`, c] as const))('%s', (_, c) => {
    if (c.selector === null) {
      // an absent nodeSelector: every node (apimachinery: nothing)
      const want = expected(c, { everything: false }, listed);
      expect(selectsNode(undefined, { any: 'label' }).matches).toBe(want.everything);
      expect(selectsNode(undefined, {}).matches).toBe(want.everything);
      return;
    }
    const t = selectorTerms(c.selector);
    expect(t.ok, t.ok ? '' : t.error).toBe(c.valid);
    if (!t.ok) return;
    expect(selectorString(t.terms.map((x) => x.requirement))).toBe(c.string);
    if (c.everything) expect(selectsNode(c.selector, {}).matches).toBe(true);
  });
  it.each(objects.matches.map((c) => [c.test, JSON.stringify(c.selector), c] as const))('%s: %s', (_, __, c) => {
    expect(selectsNode(c.selector, c.labels).matches).toBe(c.matches);
  });
});
