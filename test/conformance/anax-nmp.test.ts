/** Open Horizon node management policies against anax's documents and tests (test/conformance/anax). */
import { describe, expect, it } from 'vitest';
import { convertOpenHorizon } from '../../crd/openhorizon/convert.js';
import { appliesToNode } from '../../crd/imagepolicy/applies.js';
import { expected, fixture, listedDifferences, type Fixture } from './fixtures.js';

const listed = listedDifferences();

const documents = fixture<Fixture & { cases: { name: string; where: string; hzn: 'accepted' | 'refused'; imagectl?: 'accepted' | 'refused'; deliberate?: string; document: Record<string, unknown> }[] }>('anax/nmp-documents.json');
const compatibility = fixture<Fixture & { node: { labels: Record<string, string>; constraints: string[] }; cases: { name: string; applies: boolean; document: Record<string, unknown> }[] }>('anax/nmp-compatibility.json');
const propertyLists = fixture<Fixture & { cases: { test: string; properties: unknown[]; valid: boolean }[] }>('anax/property-lists.json');

describe('node management policies from anax\'s documents and hzn tests', () => {
  it.each(documents.cases.map((c) => [`${c.name} (${c.where})`, c] as const))('%s', (_, c) => {
    const r = convertOpenHorizon(c.document, c.name);
    expect(r.ok ? 'accepted' : 'refused', JSON.stringify(r)).toBe(expected(c, c.hzn, listed));
  });
});

describe('which node management policies a node takes, as anax decides it', () => {
  it.each(compatibility.cases.map((c) => [c.name, c] as const))('%s', (name, c) => {
    const r = convertOpenHorizon(c.document, name);
    if (!r.ok) throw new Error(JSON.stringify(r.problems));
    const a = appliesToNode(r.object.spec, compatibility.node);
    expect(a.matches, a.reason).toBe(c.applies);
  });
});

describe('property lists, as anax validates them', () => {
  it.each(propertyLists.cases.map((c) => [`${c.test}: ${JSON.stringify(c.properties)}`, c] as const))('%s', (_, c) => {
    const r = convertOpenHorizon({ enabled: true, properties: c.properties, agentImagePolicy: {} }, 'props');
    expect(r.ok, JSON.stringify(r)).toBe(c.valid);
  });
});
