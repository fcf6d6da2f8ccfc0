/**
 * kubectl's label selectors (`-l`), parsed as Kubernetes apimachinery's `labels.Parse` does:
 * `k=v`, `k==v`, `k!=v`, `k in (a,b)`, `k notin (a,b)`, `k`, `!k`, `k>1`, `k<1`, joined by
 * commas, all of which must hold. The empty selector selects everything; `k in ()` is `k in ("")`.
 * Pure.
 */
import { newRequirement, sortByKey, type Operator, type Requirement } from './label-requirement.js';

export { matchesSelector, newRequirement, selectorString, type Operator, type Requirement } from './label-requirement.js';

export type SelectorResult = { ok: true; requirements: Requirement[] } | { ok: false; error: string };

type Tok = 'id' | 'in' | 'notin' | '(' | ')' | ',' | '!' | '=' | '==' | '!=' | '>' | '<' | 'end';
const SYMBOLS = new Set(['(', ')', ',', '!', '=', '==', '!=', '>', '<']);
const SPECIAL = '=!(),><';
const WHITE = ' \t\r\n';

interface Item {
  tok: Tok;
  lit: string;
}

/** apimachinery's lexer: runs of special characters give their longest known symbol. */
function lex(s: string): Item[] {
  const out: Item[] = [];
  let i = 0;
  // a NUL byte ends the input there, as in apimachinery
  const at = (k: number) => (k < s.length && s[k] !== '\0' ? s[k]! : '');
  for (;;) {
    while (at(i) !== '' && WHITE.includes(at(i))) i++;
    const c = at(i);
    if (c === '') return [...out, { tok: 'end', lit: '' }];
    if (SPECIAL.includes(c)) {
      let sym = c;
      if (SYMBOLS.has(c + at(i + 1)) && at(i + 1) !== '') sym = c + at(i + 1);
      out.push({ tok: sym as Tok, lit: sym });
      i += sym.length;
      continue;
    }
    let j = i;
    while (at(j) !== '' && !SPECIAL.includes(at(j)) && !WHITE.includes(at(j))) j++;
    const word = s.slice(i, j);
    out.push({ tok: word === 'in' || word === 'notin' ? word : 'id', lit: word });
    i = j;
  }
}

class ParseError extends Error {}

class Parser {
  private pos = 0;
  constructor(private readonly items: Item[]) {}

  /** `in` and `notin` are plain words where a value is expected. */
  private peek(values: boolean): Tok {
    const t = this.items[this.pos]!.tok;
    return values && (t === 'in' || t === 'notin') ? 'id' : t;
  }

  private take(values: boolean): Item {
    const item = this.items[this.pos]!;
    const tok = this.peek(values);
    this.pos++;
    return { tok, lit: item.lit };
  }

  parse(): Requirement[] {
    const out: Requirement[] = [];
    for (;;) {
      const t = this.peek(true);
      if (t === 'end') return out;
      if (t !== 'id' && t !== '!') throw new ParseError(`found '${this.items[this.pos]!.lit}', expected: !, identifier, or 'end of string'`);
      out.push(this.requirement());
      const sep = this.take(true);
      if (sep.tok === 'end') return out;
      if (sep.tok !== ',') throw new ParseError(`found '${sep.lit}', expected: ',' or 'end of string'`);
      const next = this.peek(true);
      if (next !== 'id' && next !== '!') throw new ParseError(`found '${this.items[this.pos]!.lit}', expected: identifier after ','`);
    }
  }

  private requirement(): Requirement {
    let negated = false;
    let key = this.take(true);
    if (key.tok === '!') {
      negated = true;
      key = this.take(true);
    }
    if (key.tok !== 'id') throw new ParseError(`found '${key.lit}', expected: identifier`);
    const after = this.peek(true);
    let op: Operator;
    let values: string[] = [];
    if (negated || after === 'end' || after === ',') op = negated ? '!' : 'exists';
    else {
      op = this.operator();
      values = op === 'in' || op === 'notin' ? this.valueList() : this.exactValue();
    }
    const r = newRequirement(key.lit, op, values);
    if (!r.ok) throw new ParseError(r.error);
    return r.requirement;
  }

  private operator(): Operator {
    const t = this.take(false);
    const ops: Partial<Record<Tok, Operator>> = { in: 'in', notin: 'notin', '=': '=', '==': '==', '!=': '!=', '>': 'gt', '<': 'lt' };
    const op = ops[t.tok];
    if (!op) throw new ParseError(`found '${t.lit}', expected: in, notin, =, ==, !=, gt, lt`);
    return op;
  }

  /** `(a,b)`; `()` and empty items are the empty value. */
  private valueList(): string[] {
    const open = this.take(true);
    if (open.tok !== '(') throw new ParseError(`found '${open.lit}' expected: '('`);
    const values: string[] = [];
    let expectValue = true;
    for (;;) {
      const t = this.take(true);
      if (t.tok === ')') return values.length === 0 || expectValue ? [...values, ''] : values;
      if (t.tok === ',') {
        if (expectValue) values.push('');
        expectValue = true;
      } else if (t.tok === 'id' && expectValue) {
        values.push(t.lit);
        expectValue = false;
      } else throw new ParseError(`found '${t.lit}', expected: ',', ')' or identifier`);
    }
  }

  private exactValue(): string[] {
    const t = this.peek(true);
    if (t === 'end' || t === ',') return [''];
    const v = this.take(true);
    if (v.tok !== 'id') throw new ParseError(`found '${v.lit}', expected: identifier`);
    return [v.lit];
  }
}

/** Parse a selector; its requirements come back sorted by key, as apimachinery sorts them. */
export function parseSelector(s: string): SelectorResult {
  try {
    return { ok: true, requirements: sortByKey(new Parser(lex(s)).parse()) };
  } catch (e) {
    if (e instanceof ParseError) return { ok: false, error: `unable to parse requirement: ${e.message}` };
    throw e;
  }
}
