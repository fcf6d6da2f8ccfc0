/**
 * Does a property satisfy a comparison? Open Horizon's rules, as anax applies them. Pure.
 *
 * What decides is the property value's own type: a number is compared as a number (`<`, `>`,
 * `<=`, `>=`, `!=`; any other operator, `=>` and `=<` included, is equality), a boolean takes
 * `==`, `=` and `!=`, a string takes `==`, `=`, `!=` and `in` (never `<` or `>`). For a string,
 * `==` also holds when the value is one item of a comma-separated property value (`toad,cat,dog`
 * equals `cat`); `in` asks whether the property value is one of the listed ones, or for a
 * `list of strings` whether any of its items is, or for a version whether it is in the range.
 * Quotes around values and spaces around items do not count. The first property with the name
 * decides.
 */
import { goParseBool, goParseFloat } from './go-scalars.js';
import type { Comparison } from './constraint-parse.js';
import { inRange, isVersionExpression, isVersionString, parseVersionRange } from './versions.js';

export type PropertyType = 'string' | 'int' | 'float' | 'boolean' | 'version' | 'list of strings';
export const PROPERTY_TYPES: readonly PropertyType[] = ['string', 'int', 'float', 'boolean', 'version', 'list of strings'];

export interface Property {
  name: string;
  /** a number is compared as a number, a boolean as a boolean, a string as a string */
  value: string | number | boolean;
  /** matters for strings: `list of strings` and `version` change how they compare */
  type?: PropertyType | '';
}

const STRING_OPS = new Set(['==', '=', '!=', 'in']);

const trimSpaces = (s: string) => s.replace(/^ +| +$/g, '');
const unquote = (s: string) => (s.length > 1 && s.startsWith('"') && s.endsWith('"') ? s.slice(1, -1) : s);

/** Is `one` among the comma-separated items of `list`? */
function listContains(one: string, list: string): boolean {
  const want = unquote(trimSpaces(one));
  return list.split(',').some((item) => unquote(trimSpaces(item)) === want);
}

function numberHolds(n: number, c: Comparison): boolean {
  const w = goParseFloat(c.value);
  if (w === null) return false;
  switch (c.op) {
    case '<': return n < w;
    case '>': return n > w;
    case '<=': return n <= w;
    case '>=': return n >= w;
    case '!=': return n !== w;
    default: return n === w;
  }
}

/** undefined: anax looks on at the next property of the same name (a boolean with `in`). */
function booleanHolds(b: boolean, c: Comparison): boolean | undefined {
  const w = goParseBool(c.value);
  if (w === null || !STRING_OPS.has(c.op)) return false;
  if (c.op === '!=') return b !== w;
  return c.op === 'in' ? undefined : b === w;
}

function stringHolds(p: Property, s: string, c: Comparison): boolean {
  const have = trimSpaces(unquote(s));
  const want = trimSpaces(unquote(c.value));
  if (!STRING_OPS.has(c.op)) return false;
  if (c.op === '!=') return p.type === 'list of strings' ? !listContains(want, have) : have !== want;
  if (c.op === 'in') {
    if (p.type === 'version' || (isVersionString(have) && isVersionExpression(want))) {
      const range = parseVersionRange(want);
      return range.ok && inRange(range.range, have);
    }
    if (p.type === 'list of strings') return have.split(',').some((item) => listContains(item, want));
    return listContains(have, want);
  }
  return listContains(want, have) || have === want;
}

/** Does one property decide the comparison, and how? undefined: it does not decide. */
export function compare(p: Property, c: Comparison): boolean | undefined {
  if (typeof p.value === 'number') return numberHolds(p.value, c);
  if (typeof p.value === 'boolean') return booleanHolds(p.value, c);
  if (typeof p.value === 'string') return stringHolds(p, p.value, c);
  return undefined;
}

/** The comparison against the properties: the first property of the name that decides. */
export function holds(c: Comparison, props: readonly Property[]): boolean {
  for (const p of props) {
    if (p.name !== c.name) continue;
    const r = compare(p, c);
    if (r !== undefined) return r;
  }
  return false;
}
