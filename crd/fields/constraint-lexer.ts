/**
 * The tokens of Open Horizon's constraint language, as anax's text-language lexer produces them.
 * Pure.
 *
 * anax describes its tokens as an EBNF grammar matched by an ordered, non-backtracking lexer: at
 * each position the first token kind (in the order below) that matches wins, and a partial match
 * inside a repetition, an option or an alternative keeps the characters it consumed. The kinds
 * are written here in the same order with the same shapes, and `match` follows the same rules,
 * so that text anax splits one way is split the same way here (`NAMEin"a,b"` is a name, the
 * operator `in` and a list; `x >= 1` has the operator ` >= `, white space included).
 *
 * A token's `value` is what the lexer kept; it differs from the text it consumed only when a
 * partial match dropped characters (`initial` reads as `iniial`), which anax then fails to find
 * again in the expression: the parser treats that as the error it becomes there.
 */

export type TokenKind =
  | 'InStr' | 'AndOp' | 'OrOp' | 'OpComp' | 'OpIn' | 'OpEq' | 'VersRange' | 'Vers' | 'Num'
  | 'OpenParen' | 'CloseParen' | 'Str' | 'QuoteStr' | 'ListStr' | 'Unused';

export interface Token {
  kind: TokenKind | 'EOF' | 'error';
  /** what the lexer kept */
  value: string;
  /** the text it consumed */
  text: string;
  /** code-point offsets in the expression */
  start: number;
  end: number;
}

type Pat =
  | { t: 'lit'; s: string[] }
  | { t: 'set'; has: (c: string) => boolean }
  | { t: 'seq'; items: Pat[] }
  | { t: 'alt'; items: Pat[] }
  | { t: 'opt'; body: Pat }
  | { t: 'rep'; body: Pat };

const lit = (s: string): Pat => ({ t: 'lit', s: Array.from(s) });
const oneOf = (chars: string): Pat => ({ t: 'set', has: (c) => chars.includes(c) });
const seq = (...items: Pat[]): Pat => ({ t: 'seq', items });
const alt = (...items: Pat[]): Pat => ({ t: 'alt', items });
const opt = (body: Pat): Pat => ({ t: 'opt', body });
const rep = (body: Pat): Pat => ({ t: 'rep', body });

/** Letters anax accepts: ASCII, Latin-1, CJK, kana, hangul, full-width forms, currency symbols. */
const ALPHA_RANGES: [number, number][] = [
  [0x41, 0x5a], [0x61, 0x7a], [0x4e00, 0x9fff], [0x00a0, 0x00ff], [0x3040, 0x309f],
  [0x1100, 0x11ff], [0xac00, 0xd7af], [0x30a0, 0x30ff], [0xff00, 0xffef], [0x20a0, 0x20cf],
];
const isDigit = (c: string) => c >= '0' && c <= '9';
const isAlpha = (c: string) => ALPHA_RANGES.some(([lo, hi]) => c.codePointAt(0)! >= lo && c.codePointAt(0)! <= hi);
const NAME_PUNCT = "_-/!?+~'.";

const digit: Pat = { t: 'set', has: isDigit };
const ws: Pat = oneOf('\n\r\t ');
const wss = rep(ws);
const nameChar: Pat = { t: 'set', has: (c) => isDigit(c) || isAlpha(c) || NAME_PUNCT.includes(c) };
const quotedChar: Pat = { t: 'set', has: (c) => isDigit(c) || isAlpha(c) || `${NAME_PUNCT} \t`.includes(c) };
const listChar: Pat = { t: 'set', has: (c) => isDigit(c) || isAlpha(c) || `${NAME_PUNCT} \t,`.includes(c) };
const vers = seq(rep(digit), lit('.'), rep(digit), lit('.'), rep(digit));

/** Token kinds in anax's order: the first that matches wins. */
const KINDS: [TokenKind, Pat][] = [
  ['InStr', seq(lit('in'), rep(lit('in')), nameChar, rep(nameChar))],
  ['AndOp', seq(ws, wss, alt(lit('AND'), lit('&&')), ws, wss)],
  ['OrOp', seq(ws, wss, alt(lit('OR'), lit('||')), ws, wss)],
  ['OpComp', seq(wss, seq(opt(lit('=')), oneOf('><'), opt(lit('='))), wss)],
  ['OpIn', seq(wss, lit('in'), wss)],
  ['OpEq', seq(wss, alt(lit('!='), seq(lit('='), opt(lit('=')))), wss)],
  ['VersRange', seq(wss, oneOf('(['), vers, wss, lit(','), wss, alt(vers, lit('INFINITY')), oneOf('])'))],
  ['Vers', seq(wss, vers)],
  ['Num', seq(wss, opt(lit('-')), digit, rep(digit), opt(seq(lit('.'), rep(digit))))],
  ['OpenParen', seq(wss, lit('('), wss)],
  ['CloseParen', seq(wss, lit(')'))],
  ['Str', seq(wss, nameChar, rep(nameChar))],
  ['QuoteStr', seq(wss, lit('"'), quotedChar, rep(quotedChar), lit('"'))],
  ['ListStr', seq(wss, lit('"'), listChar, rep(listChar), lit('"'))],
  ['Unused', digit],
];

interface Cursor {
  chars: readonly string[];
  pos: number;
}

/** anax's lexer rules: a literal consumes up to and including its first wrong character. */
function match(p: Pat, c: Cursor, out: string[]): boolean {
  switch (p.t) {
    case 'lit': {
      if (c.chars[c.pos] !== p.s[0]) return false;
      for (const ch of p.s) {
        const got = c.chars[c.pos];
        if (got !== undefined) c.pos++;
        if (got !== ch) return false;
        out.push(ch);
      }
      return true;
    }
    case 'set': {
      const ch = c.chars[c.pos];
      if (ch === undefined || !p.has(ch)) return false;
      c.pos++;
      out.push(ch);
      return true;
    }
    case 'seq':
      return p.items.every((item) => match(item, c, out));
    case 'alt':
      return p.items.some((item) => match(item, c, out));
    case 'opt':
      match(p.body, c, out);
      return true;
    case 'rep':
      while (match(p.body, c, out));
      return true;
  }
}

/** Go's strings.TrimSpace: what counts as nothing left. */
const GO_SPACE = /^[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]$/;

/** The token at `start`; EOF once only white space is left, as anax stops there. */
export function tokenAt(chars: readonly string[], start: number): Token {
  let i = start;
  while (i < chars.length && GO_SPACE.test(chars[i]!)) i++;
  if (i === chars.length) return { kind: 'EOF', value: '', text: chars.slice(start).join(''), start, end: chars.length };
  for (const [kind, pat] of KINDS) {
    const c: Cursor = { chars, pos: start };
    const out: string[] = [];
    if (match(pat, c, out)) return { kind, value: out.join(''), text: chars.slice(start, c.pos).join(''), start, end: c.pos };
  }
  return { kind: 'error', value: chars[start]!, text: chars[start]!, start, end: start + 1 };
}
