/**
 * Numbers and booleans as Go's strconv reads them, for Open Horizon's comparisons: anax checks and
 * compares constraint values with ParseFloat and ParseBool, so `x > .5` and `x > +inf` are
 * numbers there, and `flag == T` a boolean. Pure.
 */

const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const HEX = /^[+-]?0[xX](_?[0-9a-fA-F])*(\.[0-9a-fA-F]*)?[pP][+-]?\d+$/;
const SPECIAL = /^([+-]?(inf|infinity)|nan)$/i;

/** strconv.ParseFloat(s, 64): the number, or null where Go returns an error (range errors too). */
export function goParseFloat(s: string): number | null {
  if (SPECIAL.test(s)) return /^nan$/i.test(s) ? NaN : s.startsWith('-') ? -Infinity : Infinity;
  if (HEX.test(s) && /[0-9a-fA-F]/.test(s.replace(/^[+-]?0[xX]/, '').split(/[pP]/)[0]!)) return hexFloat(s);
  if (!DECIMAL.test(s)) return null;
  const n = Number(s);
  return Number.isFinite(n) ? n : null;
}

function hexFloat(s: string): number | null {
  const sign = s.startsWith('-') ? -1 : 1;
  const body = s.replace(/^[+-]?0[xX]/, '').replace(/_/g, '');
  const [mant, exp] = body.split(/[pP]/) as [string, string];
  const [int, frac = ''] = mant.split('.');
  const digits = (int ?? '') + frac;
  const n = sign * parseInt(digits || '0', 16) * 2 ** (Number(exp) - 4 * frac.length);
  return Number.isFinite(n) ? n : null;
}

const TRUE = new Set(['1', 't', 'T', 'TRUE', 'true', 'True']);
const FALSE = new Set(['0', 'f', 'F', 'FALSE', 'false', 'False']);

/** strconv.ParseBool: the boolean, or null. */
export function goParseBool(s: string): boolean | null {
  return TRUE.has(s) ? true : FALSE.has(s) ? false : null;
}
