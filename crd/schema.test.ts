import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { PATTERN_HINTS } from './ajv-errors.js';
import { findKind, KINDS } from './kinds.js';
import { structuralProblems } from './structural.js';

function patternsIn(node: unknown): string[] {
  if (node === null || typeof node !== 'object') return [];
  const own = typeof (node as { pattern?: unknown }).pattern === 'string' ? [(node as { pattern: string }).pattern] : [];
  return [...own, ...Object.values(node).flatMap(patternsIn)];
}

describe.each(Object.values(KINDS))('the $kind schema', (def) => {
  it('is registered under its kind', () => {
    expect(KINDS[def.kind]).toBe(def);
    expect(def.schema.properties).toMatchObject({ kind: { const: def.kind } });
  });

  it('stays structural: a type on every node, a description on every property, no $ref', () => {
    expect(structuralProblems(def.schema)).toEqual([]);
  });

  it('compiles in ajv strict mode', () => {
    expect(() => new Ajv({ strict: true, allErrors: true }).compile(def.schema)).not.toThrow();
  });

  it('has a readable message for every pattern it uses', () => {
    for (const p of patternsIn(def.schema)) expect(PATTERN_HINTS, p).toHaveProperty([p]);
  });

  it('can be found by its plural, singular and short names', () => {
    for (const n of [def.kind, def.plural, def.singular, ...def.shortNames]) expect(findKind(n)).toBe(def);
  });
});

describe('structuralProblems', () => {
  it('reports what would make a schema non-structural', () => {
    const bad = {
      type: 'object',
      description: 'root',
      properties: {
        noType: { description: 'x' },
        noDescription: { type: 'string' },
        ref: { type: 'string', description: 'x', $ref: '#/x' },
        union: { type: 'string', description: 'x', oneOf: [{ type: 'number' }, { type: 'string' }] },
        tuple: { type: 'array', description: 'x', items: [{ type: 'string' }] },
        bareObject: { type: 'object', description: 'x' },
      },
    };
    const problems = structuralProblems(bad);
    expect(problems).toEqual(
      expect.arrayContaining([
        '#/properties/noType: needs a single "type"',
        '#/properties/noDescription: needs a "description"',
        '#/properties/ref: "$ref" is not allowed',
        '#/properties/union/oneOf/0: "type" is not allowed inside oneOf',
        '#/properties/tuple: an array needs a single "items" schema',
        '#/properties/bareObject: an object needs properties or an additionalProperties schema',
      ]),
    );
    expect(problems).toHaveLength(7); // and the second oneOf branch
  });
});
