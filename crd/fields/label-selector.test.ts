import { describe, expect, it } from 'vitest';
import { matchesSelector, parseSelector, selectorString, type Requirement } from './label-selector.js';

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
    ['team==edge,site!=plant-8', true],
  ])('%s → %s', (s, want) => expect(sel(s)).toBe(want));

  it('treats an object without labels as having none', () => {
    const reqs = (s: string) => (parseSelector(s) as unknown as { requirements: Requirement[] }).requirements;
    expect(matchesSelector(reqs('!team'), undefined)).toBe(true);
    expect(matchesSelector(reqs('team'), undefined)).toBe(false);
  });

  it('selects everything with the empty selector, as apimachinery does', () => {
    expect(parseSelector('')).toEqual({ ok: true, requirements: [] });
    expect(sel('')).toBe(true);
    expect(sel('', {})).toBe(true);
  });

  it('reads `x in ()` as x in (""), as apimachinery does', () => {
    expect(parseSelector('site in ()')).toEqual({ ok: true, requirements: [{ key: 'site', operator: 'in', values: [''] }] });
    expect(sel('site in ()')).toBe(false);
    expect(sel('site in ()', { site: '' })).toBe(true);
    expect(sel('site notin ()')).toBe(true);
  });

  it('writes a selector back as apimachinery does', () => {
    const r = parseSelector('z in (b, a),x, !y ,w>1');
    expect(r.ok && selectorString(r.requirements)).toBe('w>1,x,!y,z in (a,b)');
  });

  it.each([
    ['site in (a', "found '', expected: ',', ')' or identifier"],
    ['team=edge,', "found '', expected: identifier after ','"],
    ['bad key=x', "found 'key', expected: in, notin, =, ==, !=, gt, lt"],
    ['Team_=x', 'invalid label key "Team_"'],
    ['team=a b', "found 'b', expected: ',' or 'end of string'"],
    ['team=-x', 'invalid label value "-x"'],
    ['tier>x', "for 'gt' the value must be an integer"],
    ['tier>-1', 'invalid label value "-1"'],
  ])('rejects %j: %s', (s, fragment) => {
    const r = parseSelector(s);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toContain(fragment);
  });
});
