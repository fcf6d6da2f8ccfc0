/**
 * Open Horizon constraint expressions parsed as anax reads them: comparisons `NAME OP VALUE`
 * joined by `AND`/`&&` and `OR`/`||` (AND binds tighter), with parentheses. Pure.
 *
 * The tokens are anax's (constraint-lexer.ts); what may follow what, and which operator takes
 * which value, are anax's rules: `==` takes no quoted list and no version range, `<` and friends
 * take only what Go reads as a number, `in` takes a quoted list, a version or a version range. A
 * name ending in `in` directly followed by a value is that name and `in` (`NAMEin"a,b"`).
 *
 * Stricter than anax, each a documented deliberate difference: nothing after AND/OR, empty
 * parentheses and white space before the first name are errors here (anax reads the first two as
 * "true" and makes the third unsatisfiable), and so are parentheses anax only counts.
 */
import { goParseFloat } from './go-scalars.js';
import { tokenAt, type Token, type TokenKind } from './constraint-lexer.js';
import { parseVersionRange } from './versions.js';

export interface Comparison {
  kind: 'cmp';
  name: string;
  /** the operator as anax keeps it: ==, =, !=, <, >, <=, >=, =<, =>, in ... */
  op: string;
  /** the value as written, quotes kept (the comparison strips them, as anax does) */
  value: string;
  valueKind: TokenKind;
  /** the comparison as written, for messages */
  text: string;
}

export type Expr = Comparison | { kind: 'and' | 'or'; items: Expr[] };

export type ParseResult = { ok: true; expr: Expr } | { ok: false; error: string };

const MAX_EXPRESSION_LENGTH = 4096;
const MAX_NESTING = 32;
const VALUE_KINDS = new Set<string>(['Str', 'InStr', 'QuoteStr', 'ListStr', 'Vers', 'VersRange', 'Num']);
const OPERATOR_KINDS = new Set<string>(['OpEq', 'OpComp', 'OpIn']);

class ParseError extends Error {
  constructor(readonly column: number, message: string) {
    super(message);
  }
}

const utf8Length = (s: string) => Array.from(s).reduce((n, c) => n + (c.codePointAt(0)! < 0x80 ? 1 : c.codePointAt(0)! < 0x800 ? 2 : c.codePointAt(0)! < 0x10000 ? 3 : 4), 0);
/** The white space a token starts with (anax's tokens carry the space before them). */
const leading = (t: Token) => /^[\n\r\t ]*/.exec(t.text)![0].length;

/** Which values an operator takes, as anax checks them; null when the pair is fine. */
function pairProblem(opKind: string, op: string, v: Token): string | null {
  if (opKind === 'OpEq' && v.kind === 'VersRange') return `a version range takes the "in" operator, not ${op}`;
  if (opKind === 'OpEq' && v.kind === 'ListStr') return `a quoted list (${v.value.trim()}) takes the "in" operator, not ${op}: "==" compares with one value`;
  if (opKind === 'OpComp' && goParseFloat(v.value) === null) return `operator ${op} needs a number, not ${v.value.trim()}`;
  if (opKind === 'OpIn' && !['ListStr', 'QuoteStr', 'VersRange', 'Vers'].includes(v.kind)) {
    return `the "in" operator takes a quoted list ("a,b"), a version (1.2.3) or a version range ([1.0.0,2.0.0)), not ${v.value.trim() || 'nothing'}`;
  }
  if (opKind === 'OpIn' && v.kind === 'VersRange') {
    const r = parseVersionRange(v.value);
    if (!r.ok) return r.error;
  }
  return null;
}

class Parser {
  private readonly chars: string[];
  private pos = 0;
  private depth = 0;
  constructor(s: string) {
    this.chars = Array.from(s);
  }

  private peeked: Token | null = null;

  private peek(): Token {
    if (this.peeked?.start !== this.pos) this.peeked = tokenAt(this.chars, this.pos);
    return this.peeked;
  }

  private next(): Token {
    const t = this.peek();
    this.pos = t.end;
    if (t.value !== t.text && t.kind !== 'EOF' && t.kind !== 'error') {
      this.fail(t, `Open Horizon's lexer misreads ${JSON.stringify(t.text.trim())} (as ${JSON.stringify(t.value.trim())}) and so rejects the expression`);
    }
    return t;
  }

  private fail(t: Token, what: string): never {
    throw new ParseError(t.start + (t.kind === 'EOF' ? 0 : leading(t)) + 1, what);
  }

  private got(t: Token): string {
    if (t.kind === 'EOF') return ', got the end of the expression';
    return `, got ${JSON.stringify(this.chars.slice(t.start, t.start + 12).join(''))}`;
  }

  /** What went wrong where an AND/OR, a ")" or the end was expected. */
  private notAnOperator(t: Token): string {
    const rest = this.chars.slice(t.start).join('');
    const dangling = /^\s*(&&|\|\||AND|OR)\s*$/.exec(rest);
    if (dangling) return `nothing after ${dangling[1]}: Open Horizon would read the missing comparison as true`;
    if (/^(&&|\|\|)/.test(rest)) return `${rest.slice(0, 2)} needs white space on both sides`;
    return `expected AND, &&, OR or ||${this.got(t)}`;
  }

  parse(): Expr {
    const e = this.group();
    const t = this.peek();
    if (t.kind === 'CloseParen') this.fail(t, 'unbalanced ")"');
    if (t.kind !== 'EOF') this.fail(t, this.notAnOperator(t));
    return e;
  }

  private group(): Expr {
    const ors: Expr[][] = [[this.item()]];
    for (;;) {
      const t = this.peek();
      if (t.kind !== 'AndOp' && t.kind !== 'OrOp') break;
      this.next();
      const after = this.peek();
      if (after.kind === 'EOF' || after.kind === 'CloseParen') this.fail(t, `nothing after ${t.value.trim()}: Open Horizon would read the missing comparison as true`);
      if (t.kind === 'OrOp') ors.push([]);
      ors.at(-1)!.push(this.item());
    }
    const ands = ors.map((items): Expr => (items.length === 1 ? items[0]! : { kind: 'and', items }));
    return ands.length === 1 ? ands[0]! : { kind: 'or', items: ands };
  }

  private item(): Expr {
    const t = this.peek();
    if (t.kind !== 'OpenParen') return this.comparison();
    this.next();
    if (++this.depth > MAX_NESTING) this.fail(t, `parentheses nested deeper than ${MAX_NESTING}`);
    if (this.peek().kind === 'CloseParen') this.fail(t, '"()" holds no comparison: Open Horizon would read it as true');
    const e = this.group();
    const close = this.peek();
    if (close.kind !== 'CloseParen') this.fail(close, close.kind === 'EOF' ? 'expected ")"' : `expected ")", AND, &&, OR or ||${this.got(close)}`);
    this.next();
    this.depth--;
    return e;
  }

  private comparison(): Comparison {
    const start = this.pos;
    const nameTok = this.peek();
    if (nameTok.kind !== 'Str' && nameTok.kind !== 'InStr') this.fail(nameTok, `expected a property name${this.got(nameTok)}`);
    if (leading(nameTok) > 0) this.fail(nameTok, 'white space before the property name: Open Horizon makes it part of the name, so the comparison could never hold');
    this.next();
    let name = nameTok.value;
    const opTok = this.peek();
    let op: string;
    let valTok: Token;
    if (OPERATOR_KINDS.has(opTok.kind)) {
      op = this.next().value.trim();
      valTok = this.peek();
    } else if (utf8Length(name) > 3 && name.endsWith('in') && VALUE_KINDS.has(opTok.kind)) {
      // `NAMEin"a,b"`: anax takes the name's last two letters for the operator (and checks no more)
      [name, op, valTok] = [name.slice(0, -2), 'in', opTok];
    } else this.fail(opTok, `expected an operator (==, =, !=, <, >, <=, >=, in)${this.got(opTok)}`);
    if (!VALUE_KINDS.has(valTok.kind)) this.fail(valTok, this.badValue(valTok));
    const problem = opTok === valTok ? null : pairProblem(opTok.kind, op, valTok);
    if (problem) this.fail(nameTok, problem);
    this.next();
    return { kind: 'cmp', name, op, value: valTok.value.trim(), valueKind: valTok.kind as TokenKind, text: this.chars.slice(start, this.pos).join('').trim() };
  }

  private badValue(t: Token): string {
    if (t.kind === 'error' && t.value === '"') {
      return 'unterminated quote, or a character Open Horizon does not allow between quotes (letters, digits, spaces and _-/!?+~\'. only, and "," in a list)';
    }
    return `expected a value${this.got(t)}`;
  }
}

/** A pure function of the text, and every pass evaluates the same constraints: each is parsed once (bounded). */
const cache = new Map<string, ParseResult>();
const CACHE_MAX = 10_000;

/** Parse one constraint expression. */
export function parseConstraint(s: string): ParseResult {
  if (typeof s !== 'string') return { ok: false, error: 'a constraint must be a string' };
  if (s.length > MAX_EXPRESSION_LENGTH) return { ok: false, error: `constraint longer than ${MAX_EXPRESSION_LENGTH} characters` };
  const hit = cache.get(s);
  if (hit) return hit;
  const r = parseUncached(s);
  if (cache.size >= CACHE_MAX) cache.clear();
  cache.set(s, r);
  return r;
}

function parseUncached(s: string): ParseResult {
  if (s.trim() === '') return { ok: false, error: 'empty constraint' };
  try {
    return { ok: true, expr: new Parser(s).parse() };
  } catch (e) {
    if (e instanceof ParseError) return { ok: false, error: `invalid constraint ${JSON.stringify(s)}: at column ${e.column}: ${e.message}` };
    throw e;
  }
}
