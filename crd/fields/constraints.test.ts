import { describe, expect, it } from 'vitest';
import { evaluate, inferType, labelsAsProperties, parseConstraint, satisfies, type Property } from './constraints.js';

const props: Property[] = [
  { name: 'site', value: 'plant-7', type: 'string' },
  { name: 'cores', value: 4, type: 'int' },
  { name: 'load', value: 0.5, type: 'float' },
  { name: 'gpu', value: true, type: 'boolean' },
  { name: 'agent', value: '2.31.0', type: 'version' },
  { name: 'zones', value: 'north,east', type: 'list of strings' },
  { name: 'openhorizon.arch', value: 'arm64', type: 'string' },
  { name: 'owner', value: 'edge team', type: 'string' },
];

const holds = (expr: string, p: Property[] = props) => {
  const r = parseConstraint(expr);
  if (!r.ok) throw new Error(r.error);
  return evaluate(r.expr, p).ok;
};

describe('Open Horizon constraint expressions', () => {
  it.each([
    ['site == plant-7', true],
    ['site = plant-7', true],
    ['site == plant-8', false],
    ['site != plant-8', true],
    ['site == "plant-7"', true],
    ['site == plant-6,plant-7', true],
    ['site in "plant-6, plant-7"', true],
    ['site in plant-1,plant-2', false],
    ['cores > 2', true],
    ['cores >= 4', true],
    ['cores < 4', false],
    ['cores <= 4', true],
    ['cores == 4', true],
    ['cores != 4', false],
    ['load < 1.0', true],
    ['gpu == true', true],
    ['gpu = false', false],
    ['gpu != false', true],
    ['agent in [2.0.0,3.0.0)', true],
    ['agent in [1.0.0,2.31.0)', false],
    ['agent in (2.31.0,INFINITY)', false],
    ['agent in [2.31.0,INFINITY)', true],
    ['agent in 2.0.0', true],
    ['agent == 2.31', true],
    ['zones in south,east', true],
    ['zones in south,west', false],
    ['zones == north', true],
    ['zones != north', false],
    ['openhorizon.arch == arm64', true],
    ['owner == "edge team"', true],
    ['missing == x', false],
    ['missing != x', false],
    ['site == plant-7 && cores > 2', true],
    ['site == plant-7 AND cores > 8', false],
    ['site == plant-8 || cores > 2', true],
    ['site == plant-8 OR cores > 8', false],
    ['site == plant-8 || cores > 2 && gpu == true', true],
    ['(site == plant-8 || cores > 2) && gpu == false', false],
    ['(site == plant-8 OR (cores > 2 AND load < 1))', true],
    ['site==plant-7&&cores>2', true],
  ])('%s → %s', (expr, want) => expect(holds(expr)).toBe(want));

  it.each([
    ['', 'empty expression'],
    ['site', 'expected an operator'],
    ['site =~ plant', 'expected an operator'],
    ['site == ', 'expected a value'],
    ['== plant-7', 'expected a property name'],
    ['site == plant-7 &&', 'expected a property name'],
    ['(site == plant-7', 'expected ")"'],
    ['site == plant-7)', 'unbalanced ")"'],
    ['site == plant-7 XOR cores > 2', 'expected && , ||, AND or OR'],
    ['cores > many', 'operator > needs a number'],
    ['gpu < true', 'does not apply to the boolean'],
    ['agent == [1.0.0,2.0.0)', 'needs the "in" operator'],
    ['agent in [x,2.0.0)', '"x" in [x,2.0.0) is not a version'],
    ['site == "plant-7', 'unterminated double quote'],
    [`${'('.repeat(40)}a == b${')'.repeat(40)}`, 'nested deeper than 32'],
  ])('rejects %j: %s', (expr, fragment) => {
    const r = parseConstraint(expr);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toContain(fragment);
  });

  it('says where a constraint fails and what the properties hold', () => {
    expect(satisfies(['site == plant-7', 'cores > 8'], props, { props: 'the node', constraint: 'constraint' })).toEqual({
      ok: false,
      reason: 'constraint "cores > 8" is not satisfied (the node has cores=4)',
    });
    expect(satisfies(['site == plant-7 && arch == arm64'], props, { props: 'the node', constraint: 'constraint' }).reason).toBe(
      'constraint "site == plant-7 && arch == arm64" is not satisfied (arch == arm64: the node has no property arch)',
    );
    expect(satisfies(['site == plant-7', 'cores > 2'], props, { props: 'the node', constraint: 'constraint' })).toEqual({ ok: true, reason: '' });
  });

  it('types node labels by their values', () => {
    expect(['4', '-2', '1.5', 'true', 'False', 'plant-7', '1.2.3'].map(inferType)).toEqual(['int', 'int', 'float', 'boolean', 'boolean', 'string', 'string']);
    const labels = labelsAsProperties({ cores: '4', site: 'plant-7', version: '1.2.3' });
    expect(holds('cores > 2', labels)).toBe(true);
    expect(holds('version in [1.0.0,2.0.0)', labels)).toBe(true);
    expect(holds('site == plant-7', labels)).toBe(true);
  });
});
