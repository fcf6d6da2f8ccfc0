/**
 * Open Horizon constraint expressions, parsed and evaluated against a set of typed properties,
 * as anax does it. Pure.
 *
 * The grammar (constraint-lexer.ts, constraint-parse.ts) and the comparisons (constraint-eval.ts)
 * follow anax's `externalpolicy` package; test/conformance/anax holds its test cases. A list of
 * constraint expressions is ANDed. A comparison on a property that is absent is false.
 */
import { parseConstraint, type Expr } from './constraint-parse.js';
import { holds, type Property, type PropertyType } from './constraint-eval.js';

export { parseConstraint, type Comparison, type Expr, type ParseResult } from './constraint-parse.js';
export { compare, holds, PROPERTY_TYPES, type Property, type PropertyType } from './constraint-eval.js';

const isNumber = (s: string) => /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(s);

/** The type a plain string value has when nothing says otherwise (node labels, untyped properties). */
export function inferType(v: string | number | boolean): PropertyType {
  if (typeof v === 'boolean') return 'boolean';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int' : 'float';
  if (/^[-+]?\d+$/.test(v)) return 'int';
  if (isNumber(v)) return 'float';
  if (/^(true|false)$/i.test(v)) return 'boolean';
  return 'string';
}

/**
 * A property written as text (a node label, an ImagePolicy property), with the value its type
 * gives it: `int` and `float` compare as numbers, `boolean` as a boolean, the others as text.
 */
export function typedProperty(name: string, text: string, type: PropertyType = inferType(text)): Property {
  if (type === 'int' || type === 'float') return { name, value: Number(text), type };
  if (type === 'boolean') return { name, value: text.toLowerCase() === 'true', type };
  return { name, value: text, type };
}

/** Node labels as Open Horizon properties, each typed by its value. */
export function labelsAsProperties(labels: Readonly<Record<string, string>>): Property[] {
  return Object.entries(labels).map(([name, value]) => typedProperty(name, value));
}

export interface Evaluation {
  ok: boolean;
  /** when not ok: the first comparison that failed, and what the properties hold */
  failed?: { comparison: string; found: string };
}

/** Evaluate a parsed expression against properties (by name; the first of a name decides). */
export function evaluate(e: Expr, props: readonly Property[]): Evaluation {
  if (e.kind === 'cmp') {
    if (holds(e, props)) return { ok: true };
    const p = props.find((x) => x.name === e.name);
    return { ok: false, failed: { comparison: e.text, found: p ? `${p.name}=${String(p.value)}` : `no property ${e.name}` } };
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
