/**
 * Does a policy's nodeSelector select this node? Kubernetes label-selector semantics, as
 * apimachinery's LabelSelectorAsSelector builds the selector: matchLabels are `key=value`
 * requirements, matchExpressions `In`, `NotIn`, `Exists` and `DoesNotExist` ones, all of which
 * must hold; an empty selector selects every node. Pure.
 *
 * An absent nodeSelector also selects every node, as a Pod's nodeSelector does (apimachinery reads
 * an absent LabelSelector as "nothing": the deliberate difference selector-absent).
 */
import type { LabelSelectorRequirement, NodeSelector } from './type.js';
import { matchesRequirement, newRequirement, type Operator, type Requirement } from '../fields/label-requirement.js';

export interface SelectorResult {
  matches: boolean;
  /** what decided it, for `describe policy` */
  reason: string;
}

const OPERATORS: Record<LabelSelectorRequirement['operator'], Operator> = { In: 'in', NotIn: 'notin', Exists: 'exists', DoesNotExist: '!' };

interface Term {
  requirement: Requirement;
  /** the term as written, for messages */
  text: string;
}

export type TermsResult = { ok: true; terms: Term[] } | { ok: false; error: string; path: (string | number)[] };

/** The requirements of a nodeSelector, checked as apimachinery checks them, in the spec's order. */
export function selectorTerms(sel: NodeSelector): TermsResult {
  const terms: Term[] = [];
  for (const [k, v] of Object.entries(sel.matchLabels ?? {})) {
    const r = newRequirement(k, '=', [v]);
    if (!r.ok) return { ok: false, error: r.error, path: ['matchLabels', k] };
    terms.push({ requirement: r.requirement, text: `matchLabels ${k}=${v}` });
  }
  for (const [i, e] of (sel.matchExpressions ?? []).entries()) {
    const op = OPERATORS[e.operator];
    if (!op) return { ok: false, error: `${JSON.stringify(e.operator)} is not a valid label selector operator`, path: ['matchExpressions', i, 'operator'] };
    const r = newRequirement(e.key, op, e.values ?? []);
    if (!r.ok) return { ok: false, error: r.error, path: ['matchExpressions', i] };
    const values = e.values?.length ? ` (${e.values.join(',')})` : '';
    terms.push({ requirement: r.requirement, text: `matchExpressions ${e.key} ${e.operator}${values}` });
  }
  return { ok: true, terms };
}

export function selectsNode(sel: NodeSelector | undefined, labels: Readonly<Record<string, string>>): SelectorResult {
  if (!sel || (!sel.matchLabels && !sel.matchExpressions)) return { matches: true, reason: 'no nodeSelector' };
  const t = selectorTerms(sel);
  if (!t.ok) return { matches: false, reason: `is invalid: ${t.error}` };
  for (const { requirement: r, text } of t.terms) {
    if (matchesRequirement(r, labels)) continue;
    const has = Object.hasOwn(labels, r.key);
    return { matches: false, reason: `${text}: node has ${has ? `${r.key}=${labels[r.key]}` : `no label ${r.key}`}` };
  }
  return { matches: true, reason: 'nodeSelector matches the node labels' };
}
