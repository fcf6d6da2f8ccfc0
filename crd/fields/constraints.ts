/**
 * Open Horizon constraint expressions, parsed and evaluated against a set of typed properties. Pure.
 *
 * The language (anax `externalpolicy/text_language`): comparisons `NAME OP VALUE` joined by
 * `&&`/`AND` and `||`/`OR` (AND binds tighter), with parentheses. Operators: `==` and `=`, `!=`,
 * `<`, `>`, `<=`, `>=`, and `in`. Values: numbers, `true`/`false`, bare words, quoted strings,
 * comma-separated lists (`a,b,c` or `"a, b"`), versions (`1.2.3`) and version ranges
 * (`[1.0.0,2.0.0)`). A list of constraint expressions is ANDed. A comparison on a property that
 * is absent is false, as in Open Horizon.
 */

export type PropertyType = 'string' | 'int' | 'float' | 'boolean' | 'version' | 'list of strings';
export const PROPERTY_TYPES: readonly PropertyType[] = ['string', 'int', 'float', 'boolean', 'version', 'list of strings'];

export interface Property {
  name: string;
  value: string | number | boolean;
  type: PropertyType;
}

export type CompareOp = '==' | '=' | '!=' | '<' | '>' | '<=' | '>=' | 'in';

export interface Comparison {
  kind: 'cmp';
  name: string;
  op: CompareOp;
  /** the value as written, quotes removed */
  value: string;
  /** true when the value was a quoted string */
  quoted: boolean;
  /** the comparison as written, for messages */
  text: string;
}

export type Expr = Comparison | { kind: 'and' | 'or'; items: Expr[] };

export type ParseResult = { ok: true; expr: Expr } | { ok: false; error: string };

const OPS: CompareOp[] = ['==', '!=', '<=', '>=', '=', '<', '>', 'in'];
const NAME = /[A-Za-z0-9_.\-/@:]+/y;
const MAX_EXPRESSION_LENGTH = 4096;
const MAX_NESTING = 32;

class ParseError extends Error {}

class Parser {
  private pos = 0;
  private depth = 0;
  constructor(private readonly s: string) {}

  private ws(): void {
    while (this.pos < this.s.length && /\s/.test(this.s[this.pos]!)) this.pos++;
  }

  private fail(what: string): never {
    const near = this.s.slice(this.pos, this.pos + 12);
    throw new ParseError(`at column ${this.pos + 1}: ${what}${near ? `, got ${JSON.stringify(near)}` : ', got the end of the expression'}`);
  }

  /** `&&`, `||`, `AND`, `OR` at the cursor, without consuming it. */
  private logical(): 'and' | 'or' | null {
    const rest = this.s.slice(this.pos);
    if (rest.startsWith('&&') || /^AND(?=[\s(]|$)/.test(rest)) return 'and';
    if (rest.startsWith('||') || /^OR(?=[\s(]|$)/.test(rest)) return 'or';
    return null;
  }

  private eatLogical(op: 'and' | 'or'): boolean {
    this.ws();
    if (this.logical() !== op) return false;
    this.pos += this.s.startsWith(op === 'and' ? '&&' : '||', this.pos) ? 2 : op.length;
    return true;
  }

  parse(): Expr {
    this.ws();
    if (this.pos >= this.s.length) this.fail('empty expression');
    const e = this.or();
    this.ws();
    if (this.pos < this.s.length) this.fail(this.s[this.pos] === ')' ? 'unbalanced ")"' : 'expected && , ||, AND or OR');
    return e;
  }

  private or(): Expr {
    const items = [this.and()];
    while (this.eatLogical('or')) items.push(this.and());
    return items.length === 1 ? items[0]! : { kind: 'or', items };
  }

  private and(): Expr {
    const items = [this.primary()];
    while (this.eatLogical('and')) items.push(this.primary());
    return items.length === 1 ? items[0]! : { kind: 'and', items };
  }

  private primary(): Expr {
    this.ws();
    if (this.s[this.pos] === '(') {
      if (++this.depth > MAX_NESTING) this.fail(`parentheses nested deeper than ${MAX_NESTING}`);
      this.pos++;
      const e = this.or();
      this.ws();
      if (this.s[this.pos] !== ')') this.fail('expected ")"');
      this.pos++;
      this.depth--;
      return e;
    }
    return this.comparison();
  }

  private comparison(): Comparison {
    const start = this.pos;
    if (this.logical()) this.fail('expected a property name');
    NAME.lastIndex = this.pos;
    const m = NAME.exec(this.s);
    if (!m) this.fail('expected a property name');
    this.pos += m[0].length;
    this.ws();
    const op = OPS.find((o) => this.s.startsWith(o, this.pos) && (o !== 'in' || /[\s"[(]/.test(this.s[this.pos + 2] ?? '')));
    if (!op || (op !== 'in' && /[=<>!~]/.test(this.s[this.pos + op.length] ?? ''))) this.fail('expected an operator (==, =, !=, <, >, <=, >=, in)');
    this.pos += op.length;
    this.ws();
    const { value, quoted } = this.value();
    const cmp: Comparison = { kind: 'cmp', name: m[0], op, value, quoted, text: this.s.slice(start, this.pos).trim() };
    const problem = operatorProblem(cmp);
    if (problem) {
      this.pos = start;
      this.fail(problem);
    }
    return cmp;
  }

  private value(): { value: string; quoted: boolean } {
    const c = this.s[this.pos];
    if (c === undefined) this.fail('expected a value');
    if (c === '"' || c === "'") {
      const end = this.s.indexOf(c, this.pos + 1);
      if (end < 0) this.fail(`unterminated ${c === '"' ? 'double' : 'single'} quote`);
      const value = this.s.slice(this.pos + 1, end);
      this.pos = end + 1;
      return { value, quoted: true };
    }
    if (c === '[' || c === '(') {
      // a version range: [1.0.0,2.0.0) or (1,2]
      const m = /^[[(]\s*[^\s,()[\]]*\s*,\s*[^\s,()[\]]*\s*[)\]]/.exec(this.s.slice(this.pos));
      if (!m) this.fail('expected a version range such as [1.0.0,2.0.0)');
      this.pos += m[0].length;
      return { value: m[0].replace(/\s+/g, ''), quoted: false };
    }
    // a bare word; a comma followed by spaces continues a list (`a, b`)
    let end = this.pos;
    while (end < this.s.length) {
      const ch = this.s[end]!;
      if (ch === ',') {
        end++;
        while (end < this.s.length && /\s/.test(this.s[end]!)) end++;
        continue;
      }
      if (/\s/.test(ch) || ch === ')' || ch === '(' || this.s.startsWith('&&', end) || this.s.startsWith('||', end)) break;
      end++;
    }
    if (end === this.pos) this.fail('expected a value');
    const value = this.s.slice(this.pos, end).replace(/,\s+/g, ',');
    this.pos = end;
    return { value, quoted: false };
  }
}

const isNumber = (s: string) => /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(s);
const isBool = (s: string) => /^(true|false)$/i.test(s);
export const isVersion = (s: string) => /^\d+(\.\d+){0,2}$/.test(s);
const isRange = (s: string) => /^[[(][^,]*,[^,]*[)\]]$/.test(s);

/** Which operators a value's form allows, as Open Horizon's validator says. */
function operatorProblem(c: Comparison): string | null {
  const v = c.value;
  if (c.quoted) return null; // a quoted string may be compared with ==, !=, in; the property's type decides
  if (isRange(v)) {
    if (c.op !== 'in') return `a version range needs the "in" operator, not ${c.op}`;
    const [lo, hi] = v.slice(1, -1).split(',');
    for (const b of [lo!, hi!]) if (b !== '' && b.toUpperCase() !== 'INFINITY' && !isVersion(b)) return `"${b}" in ${v} is not a version`;
    return null;
  }
  if (isNumber(v)) return c.op === 'in' && !v.includes(',') && !isVersion(v) ? `the "in" operator needs a list or a version range, not the number ${v}` : null;
  if (isBool(v)) return ['==', '=', '!='].includes(c.op) ? null : `operator ${c.op} does not apply to the boolean ${v}`;
  if (['<', '>', '<=', '>='].includes(c.op) && !isVersion(v)) return `operator ${c.op} needs a number, not ${JSON.stringify(v)}`;
  return null;
}

/** Parse one constraint expression. */
export function parseConstraint(s: string): ParseResult {
  if (typeof s !== 'string') return { ok: false, error: 'a constraint must be a string' };
  if (s.length > MAX_EXPRESSION_LENGTH) return { ok: false, error: `constraint longer than ${MAX_EXPRESSION_LENGTH} characters` };
  try {
    return { ok: true, expr: new Parser(s).parse() };
  } catch (e) {
    if (e instanceof ParseError) return { ok: false, error: `invalid constraint ${JSON.stringify(s)}: ${e.message}` };
    throw e;
  }
}

// ---- values ------------------------------------------------------------------------------------

/** The type a plain string value has when nothing says otherwise (node labels, untyped properties). */
export function inferType(v: string | number | boolean): PropertyType {
  if (typeof v === 'boolean') return 'boolean';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int' : 'float';
  if (/^[-+]?\d+$/.test(v)) return 'int';
  if (isNumber(v)) return 'float';
  if (isBool(v)) return 'boolean';
  return 'string';
}

/** Node labels as Open Horizon properties, each typed by its value. */
export function labelsAsProperties(labels: Readonly<Record<string, string>>): Property[] {
  return Object.entries(labels).map(([name, value]) => ({ name, value, type: inferType(value) }));
}

type Version = [number, number, number];

function parseVersion(s: string): Version | null {
  if (!isVersion(s)) return null;
  const p = s.split('.').map(Number);
  return [p[0] ?? 0, p[1] ?? 0, p[2] ?? 0];
}

function cmpVersion(a: Version, b: Version): number {
  for (let i = 0; i < 3; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return 0;
}

/** `[1.0.0,2.0.0)`, or a single version meaning [v, infinity), as Open Horizon's version ranges. */
function inVersionRange(version: string, range: string): boolean {
  const v = parseVersion(version);
  if (!v) return false;
  if (isVersion(range)) return cmpVersion(v, parseVersion(range)!) >= 0;
  if (!isRange(range)) return false;
  const [loS, hiS] = range.slice(1, -1).split(',') as [string, string];
  const lo = loS === '' ? null : parseVersion(loS);
  const hi = hiS === '' || hiS.toUpperCase() === 'INFINITY' ? null : parseVersion(hiS);
  if (lo) {
    const c = cmpVersion(v, lo);
    if (range[0] === '[' ? c < 0 : c <= 0) return false;
  }
  if (hi) {
    const c = cmpVersion(v, hi);
    if (range.endsWith(']') ? c > 0 : c >= 0) return false;
  }
  return true;
}

const items = (s: string) => s.split(',').map((x) => x.trim()).filter((x) => x !== '');

/** Does one property satisfy one comparison? Open Horizon's rules for each property type. */
export function compare(p: Property, c: Comparison): boolean {
  const v = c.value;
  switch (p.type) {
    case 'int':
    case 'float': {
      const n = Number(p.value);
      if (c.op === 'in') return isRange(v) ? inVersionRange(String(p.value), v) : items(v).some((x) => isNumber(x) && Number(x) === n);
      if (!isNumber(v)) return false;
      const w = Number(v);
      switch (c.op) {
        case '<': return n < w;
        case '>': return n > w;
        case '<=': return n <= w;
        case '>=': return n >= w;
        case '!=': return n !== w;
        default: return n === w;
      }
    }
    case 'boolean': {
      if (!isBool(v)) return false;
      const b = String(p.value).toLowerCase() === 'true';
      const w = v.toLowerCase() === 'true';
      if (c.op === '!=') return b !== w;
      return c.op === '==' || c.op === '=' ? b === w : false;
    }
    case 'list of strings': {
      const have = items(String(p.value));
      const any = items(v).some((x) => have.includes(x));
      if (c.op === '!=') return !any;
      return c.op === '==' || c.op === '=' || c.op === 'in' ? any : false;
    }
    default: {
      const s = String(p.value);
      const version = p.type === 'version' || (isVersion(s) && (isRange(v) || isVersion(v)));
      if (c.op === 'in' && version && (isRange(v) || isVersion(v))) return inVersionRange(s, v);
      const equal = version && isVersion(v) && parseVersion(s)
        ? cmpVersion(parseVersion(s)!, parseVersion(v)!) === 0
        : s === v || items(v).includes(s);
      if (c.op === '==' || c.op === '=' || c.op === 'in') return equal;
      if (c.op === '!=') return !equal;
      if (version && isVersion(v) && parseVersion(s)) {
        const d = cmpVersion(parseVersion(s)!, parseVersion(v)!);
        return c.op === '<' ? d < 0 : c.op === '>' ? d > 0 : c.op === '<=' ? d <= 0 : d >= 0;
      }
      return false;
    }
  }
}

export interface Evaluation {
  ok: boolean;
  /** when not ok: the first comparison that failed, and what the properties hold */
  failed?: { comparison: string; found: string };
}

function show(p: Property): string {
  return `${p.name}=${String(p.value)}`;
}

/** Evaluate a parsed expression against properties (by name; the first of a name wins). */
export function evaluate(e: Expr, props: readonly Property[]): Evaluation {
  if (e.kind === 'cmp') {
    const p = props.find((x) => x.name === e.name);
    if (!p) return { ok: false, failed: { comparison: e.text, found: `no property ${e.name}` } };
    return compare(p, e) ? { ok: true } : { ok: false, failed: { comparison: e.text, found: show(p) } };
  }
  let first: Evaluation | undefined;
  for (const item of e.items) {
    const r = evaluate(item, props);
    if (e.kind === 'and' && !r.ok) return r;
    if (e.kind === 'or' && r.ok) return r;
    first ??= r;
  }
  return e.kind === 'and' ? { ok: true } : first!;
}

export interface ConstraintsResult {
  ok: boolean;
  /** what decided it, in words */
  reason: string;
}

/** A list of constraint expressions (ANDed) against properties. Unparseable constraints fail. */
export function satisfies(constraints: readonly string[], props: readonly Property[], whose: { props: string; constraint: string }): ConstraintsResult {
  for (const c of constraints) {
    const parsed = parseConstraint(c);
    if (!parsed.ok) return { ok: false, reason: `${whose.constraint} ${JSON.stringify(c)}: ${parsed.error}` };
    const r = evaluate(parsed.expr, props);
    if (!r.ok) {
      const detail = r.failed && r.failed.comparison !== c.trim() ? ` (${r.failed.comparison}: ${whose.props} has ${r.failed.found})` : ` (${whose.props} has ${r.failed?.found})`;
      return { ok: false, reason: `${whose.constraint} ${JSON.stringify(c)} is not satisfied${detail}` };
    }
  }
  return { ok: true, reason: '' };
}
