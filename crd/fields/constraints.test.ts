import { describe, expect, it } from 'vitest';
import { evaluate, inferType, labelsAsProperties, parseConstraint, satisfies, typedProperty, type Property } from './constraints.js';

const props: Property[] = [
  { name: 'site', value: 'plant-7', type: 'string' },
  { name: 'cores', value: 4, type: 'int' },
  { name: 'load', value: 0.5, type: 'float' },
  { name: 'gpu', value: true, type: 'boolean' },
  { name: 'agent', value: '2.31.0', type: 'version' },
  { name: 'zones', value: 'north,east', type: 'list of strings' },
  { name: 'pets', value: 'toad,cat,dog' },
  { name: 'openhorizon.arch', value: 'arm64', type: 'string' },
  { name: 'owner', value: 'edge team', type: 'string' },
  { name: 'estación', value: 'Nochistlán' },
];

const holds = (expr: string, p: Property[] = props) => {
  const r = parseConstraint(expr);
  if (!r.ok) throw new Error(r.error);
  return evaluate(r.expr, p).ok;
};
const error = (expr: string) => {
  const r = parseConstraint(expr);
  return r.ok ? null : r.error;
};

describe('Open Horizon constraint expressions', () => {
  it.each([
    ['site == plant-7', true],
    ['site = plant-7', true],
    ['site == plant-8', false],
    ['site != plant-8', true],
    ['site == "plant-7"', true],
    ['site in "plant-6, plant-7"', true],
    ['site in "plant-1,plant-2"', false],
    ['cores > 2', true],
    ['cores >= 4', true],
    ['cores < 4', false],
    ['cores <= 4', true],
    ['cores == 4', true],
    ['cores != 4', false],
    ['cores > .5', true],
    ['load < 1.0', true],
    ['gpu == true', true],
    ['gpu = false', false],
    ['gpu != false', true],
    ['gpu == T', true],
    ['agent in [2.0.0,3.0.0)', true],
    ['agent in [1.0.0,2.31.0)', false],
    ['agent in (2.31.0,INFINITY)', false],
    ['agent in [2.31.0,INFINITY)', true],
    ['agent in 2.0.0', true],
    ['agent == 2.31.0', true],
    ['zones in "south,east"', true],
    ['zones in "south,west"', false],
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
    ['site==plant-7 && cores>2', true],
  ])('%s → %s', (expr, want) => expect(holds(expr)).toBe(want));

  it('rejects a quoted comma list compared with ==, as anax does (a list takes "in")', () => {
    expect(error('site == "plant-6, plant-7"')).toContain('a quoted list ("plant-6, plant-7") takes the "in" operator, not ==');
    expect(error('site = "a,b"')).toContain('takes the "in" operator');
    expect(error('site in "a,b"')).toBeNull();
  });

  it('reads NAMEin"a,b" and versionin[1.0.0,2.0.0) without spaces, as anax does', () => {
    expect(holds('sitein"plant-6,plant-7"')).toBe(true);
    expect(holds('agentin[2.0.0,3.0.0)')).toBe(true);
    expect(holds('agentin[1.0.0,2.0.0)')).toBe(false);
    // a name of three letters or fewer is not split: anax wants more
    expect(error('xin"a,b"')).toContain('expected an operator');
  });

  it('accepts => and =<, and compares them as anax does: as equality (only <, >, <=, >= and != order numbers there)', () => {
    expect(error('cores => 5 OR cores =< 22')).toBeNull();
    expect(holds('cores => 4')).toBe(true);
    expect(holds('cores => 2')).toBe(false);
    expect(holds('cores =< 8')).toBe(false);
    expect(holds('n => 7', [{ name: 'n', value: '7' }])).toBe(false); // not a string operator in anax
    expect(error('cores => many')).toContain('operator => needs a number');
  });

  it('accepts the letters anax accepts in names and values (Latin-1, CJK, kana, hangul)', () => {
    expect(holds('estación == Nochistlán')).toBe(true);
    expect(error('火车站 == 上海')).toBeNull();
    expect(error('기차역== 서울시')).toBeNull();
    expect(error('станция == Москва')).toContain('expected a property name'); // Cyrillic is not in anax's alphabet
  });

  it('treats a comma-valued string property as a list for ==, as anax does', () => {
    expect(holds('pets == cat')).toBe(true);
    expect(holds('pets == cow')).toBe(false);
    expect(holds('pets != cat')).toBe(true); // != compares the whole value unless the type is list of strings
    expect(holds('zones != east')).toBe(false);
  });

  it('compares by the value\'s own type: a string is never ordered, a quoted number is not a number', () => {
    expect(holds('n > 2', [{ name: 'n', value: '3' }])).toBe(false);
    expect(holds('n == 3', [{ name: 'n', value: 3 }])).toBe(true);
    expect(holds('n == "3"', [{ name: 'n', value: 3 }])).toBe(false);
    expect(holds('flag == "true"', [{ name: 'flag', value: true }])).toBe(false);
  });

  it.each([
    ['', 'empty constraint'],
    ['site', 'expected an operator'],
    ['site == ', 'expected a value'],
    ['== plant-7', 'expected a property name'],
    ['(site == plant-7', 'expected ")"'],
    ['site == plant-7)', 'unbalanced ")"'],
    ['site == plant-7 XOR cores > 2', 'expected AND, &&, OR or ||'],
    ['site == plant-7 junk', 'expected AND, &&, OR or ||, got " junk"'],
    ['site == plant-6,plant-7', 'expected AND, &&, OR or ||'],
    ['cores > many', 'operator > needs a number'],
    ['gpu < true', 'operator < needs a number'],
    ['agent == [1.0.0,2.0.0)', 'a version range takes the "in" operator'],
    ['agent in [1.0.0, 2.0.0)', 'white space is not allowed in the version range'],
    ['agent in [2.0.0,1.x)', 'expected a value'],
    ['site in plant-7', 'the "in" operator takes a quoted list'],
    ['site == "plant-7', 'unterminated quote'],
    ['site == "a:b"', 'unterminated quote, or a character Open Horizon does not allow'],
    ['site==plant-7&&cores>2', '&& needs white space on both sides'],
    ['initial == x', 'misreads "initial"'],
  ])('rejects %j: %s', (expr, fragment) => expect(error(expr)).toContain(fragment));

  it('says at which column', () => {
    expect(error('site == plant-7 &&')).toBe('invalid constraint "site == plant-7 &&": at column 17: nothing after &&: Open Horizon would read the missing comparison as true');
    expect(error('purpose =~ cleanup')).toBe('invalid constraint "purpose =~ cleanup": at column 12: expected AND, &&, OR or ||, got " cleanup"');
  });

  describe('deliberate differences (README: Deliberate differences from upstream grammars)', () => {
    it('oh-dangling-operator: nothing after AND/OR is an error (anax reads the missing comparison as true)', () => {
      expect(error('site == plant-9 || ')).toContain('nothing after ||');
      expect(error('site == plant-9 AND ')).toContain('nothing after AND');
      expect(error('(site == plant-9 || ) && cores > 2')).toContain('nothing after ||');
    });
    it('oh-empty-parentheses: "()" is an error (anax reads it as true)', () => {
      expect(error('site == plant-9 || ()')).toContain('"()" holds no comparison');
    });
    it('oh-leading-space: white space before the first name is an error (anax makes it part of the name)', () => {
      expect(error(' site == plant-7')).toContain('white space before the property name');
      expect(error(' (site == plant-7)')).toBeNull();
    });
    it('oh-paren-order: parentheses must nest (anax only counts them)', () => {
      expect(error('site == plant-7 ) AND ( cores > 2')).toContain('unbalanced ")"');
      expect(error('( AND site == plant-7)')).toContain('expected an operator'); // AND without a space before it is a name
    });
    it('oh-limits: at most 4096 characters and 32 levels of parentheses', () => {
      expect(error(`${'('.repeat(40)}a == b${')'.repeat(40)}`)).toContain('nested deeper than 32');
      expect(error(`${'('.repeat(32)}a == b${')'.repeat(32)}`)).toBeNull();
      expect(error(`a == ${'b'.repeat(4096)}`)).toBe('constraint longer than 4096 characters');
    });
    it('oh-empty-constraint: an empty constraint is an error (anax: it always holds)', () => {
      expect(error('   ')).toBe('empty constraint');
    });
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
    expect(typedProperty('n', '10', 'int')).toEqual({ name: 'n', value: 10, type: 'int' });
    expect(typedProperty('n', '10', 'string')).toEqual({ name: 'n', value: '10', type: 'string' });
    const labels = labelsAsProperties({ cores: '4', site: 'plant-7', version: '1.2.3', gpu: 'True' });
    expect(holds('cores > 2', labels)).toBe(true);
    expect(holds('version in [1.0.0,2.0.0)', labels)).toBe(true);
    expect(holds('site == plant-7', labels)).toBe(true);
    expect(holds('gpu == true', labels)).toBe(true);
  });
});
