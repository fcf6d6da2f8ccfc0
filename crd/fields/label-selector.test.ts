import { describe, expect, it } from 'vitest';
import { matchesSelector, parseSelector, type Requirement } from './label-selector.js';

const labels = { team: 'edge', site: 'plant-7', tier: '3', 'imagectl.dev/applyset': 'applyset-x-v1' };
const sel = (s: string, l: Record<string, string> = labels) => {
  const r = parseSelector(s);
  if (!r.ok) throw new Error(r.error);
  return matchesSelector(r.requirements, l);
};

describe('label selectors, as kubectl -l', () => {
  it.each([
    ['team=edge', true],
    ['team==edge', true],
    ['team=core', false],
    ['team!=core', true],
    ['missing!=x', true],
    ['team!=edge', false],
    ['site in (plant-7, plant-8)', true],
    ['site in (plant-8)', false],
    ['site notin (plant-8,plant-9)', true],
    ['missing notin (a)', true],
    ['site notin (plant-7)', false],
    ['team', true],
    ['missing', false],
    ['!missing', true],
    ['!team', false],
    ['tier>2', true],
    ['tier<3', false],
    ['team=edge,site in (plant-7),!missing', true],
    ['team=edge,site=plant-8', false],
    ['imagectl.dev/applyset=applyset-x-v1', true],
    ['team=', false],
  ])('%s → %s', (s, want) => expect(sel(s)).toBe(want));

  it('treats an object without labels as having none', () => {
    const reqs = (s: string) => (parseSelector(s) as unknown as { requirements: Requirement[] }).requirements;
    expect(matchesSelector(reqs('!team'), undefined)).toBe(true);
    expect(matchesSelector(reqs('team'), undefined)).toBe(false);
  });

  it.each([
    ['site in (a', 'unbalanced parentheses'],
    ['team=edge,', 'empty requirement'],
    ['site in ()', 'in needs at least one value'],
    ['bad key=x', 'cannot parse requirement'],
    ['Team_=x', 'invalid label key "Team_"'],
    ['team=a b', 'cannot parse requirement'],
    ['team=-x', 'invalid label value "-x"'],
    ['tier>x', 'cannot parse requirement'],
  ])('rejects %j: %s', (s, fragment) => {
    const r = parseSelector(s);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toContain(fragment);
  });
});
