import { describe, expect, it } from 'vitest';
import { goParseBool, goParseFloat } from './go-scalars.js';

describe("Go's strconv, as anax uses it for constraint values", () => {
  it.each([
    ['5', 5], ['-5', -5], ['+5', 5], ['.5', 0.5], ['5.', 5], ['1e3', 1000], ['1E-2', 0.01],
    ['inf', Infinity], ['+Inf', Infinity], ['-infinity', -Infinity], ['+0x1p3', 8], ['0x1.8p1', 3],
    ['1e400', null], ['abc', null], ['1.2.3', null], ['"5"', null], ['', null], ['1_000', null], ['+nan', null],
  ])('ParseFloat(%j) = %s', (s, want) => expect(goParseFloat(s)).toBe(want));

  it('reads NaN', () => expect(goParseFloat('NaN')).toBeNaN());

  it.each([
    ['true', true], ['T', true], ['1', true], ['True', true], ['TRUE', true],
    ['false', false], ['f', false], ['0', false], ['False', false],
    ['yes', null], ['tRUE', null], ['"true"', null],
  ])('ParseBool(%j) = %s', (s, want) => expect(goParseBool(s)).toBe(want));
});
