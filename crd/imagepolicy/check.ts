import { parseConstraint } from '../fields/constraints.js';
import { isPropertyVersion } from '../fields/versions.js';
import { checkRange, parseDuration } from '../fields/duration.js';
import type { Manifest } from '../precompiled/manifest-types.js';
import type { ImagePolicy, NodeSelector } from './type.js';
import type { PushProblem } from '../problems.js';
import { imagePatternProblem } from './pattern.js';
import { policyBudgetProblem } from './budget.js';
import { selectorTerms } from './node-selector.js';
import { checkDiskPressure } from './disk-pressure.js';

/** ImagePolicy rules the schema cannot express. `obj` has passed the schema. */
export function checkImagePolicy(obj: Manifest, push: PushProblem): void {
  if (obj.kind !== 'ImagePolicy') return;
  const spec = obj.spec;
  // the budget first, counted without compiling anything: over it, no pattern is compiled at all
  const budget = policyBudgetProblem(spec);
  if (budget) push(budget.path, budget.message);
  spec.removal?.forEach((rule, i) => {
    const at = ['spec', 'removal', i];
    const hasAfter = rule.deleteAfter !== undefined;
    const hasMinutes = rule.deleteAfterMinutes !== undefined;
    if (hasAfter && hasMinutes) push(at, 'set exactly one of deleteAfter and deleteAfterMinutes, not both');
    if (!hasAfter && !hasMinutes) push(at, 'set exactly one of deleteAfter and deleteAfterMinutes');
    if (hasAfter) {
      const d = parseDuration(rule.deleteAfter);
      const negative = /^\s*-\s*\d/.test(rule.deleteAfter!) && parseDuration(rule.deleteAfter!.replace('-', '')).ok;
      if (negative) push([...at, 'deleteAfter'], `duration ${JSON.stringify(rule.deleteAfter)} is negative: it must be greater than zero`);
      else if (!d.ok) push([...at, 'deleteAfter'], d.error);
    }
    if (hasMinutes) {
      const minutes = rule.deleteAfterMinutes!;
      const d = checkRange(minutes * 60_000, `${minutes} minutes`);
      if (!d.ok) push([...at, 'deleteAfterMinutes'], d.error);
    }
    const problem = budget ? null : imagePatternProblem(rule.imageName);
    if (problem) push([...at, 'imageName'], problem);
  });
  if (!budget) {
    spec.keep?.forEach((p, i) => {
      const problem = imagePatternProblem(p);
      if (problem) push(['spec', 'keep', i], problem);
    });
  }
  checkOpenHorizonFields(spec, push);
  if (spec.nodeSelector) checkNodeSelector(spec.nodeSelector, push);
  if (spec.diskPressure) checkDiskPressure(spec.diskPressure, push);
}

/** What apimachinery's LabelSelectorAsSelector refuses, beyond what the schema says. */
function checkNodeSelector(sel: NodeSelector, push: PushProblem): void {
  let found = false;
  sel.matchExpressions?.forEach((req, i) => {
    const at = ['spec', 'nodeSelector', 'matchExpressions', i];
    const needsValues = req.operator === 'In' || req.operator === 'NotIn';
    if (needsValues && !req.values?.length) {
      push(req.values ? [...at, 'values'] : at, `operator ${req.operator} needs a non-empty values list`);
      found = true;
    }
    if (!needsValues && req.values?.length) {
      push([...at, 'values'], `operator ${req.operator} must not have values`);
      found = true;
    }
  });
  const t = found ? null : selectorTerms(sel);
  if (t && !t.ok) push(['spec', 'nodeSelector', ...t.path], t.error);
}

const VALUE_FORMS: Record<string, { ok: (v: string) => boolean; what: string }> = {
  int: { ok: (v) => /^[-+]?\d+$/.test(v), what: 'an integer' },
  float: { ok: (v) => /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(v), what: 'a number' },
  boolean: { ok: (v) => /^(true|false)$/.test(v), what: 'true or false' },
  // as anax checks a version property: one to three numbers, no leading zeros
  version: { ok: isPropertyVersion, what: 'a version such as 1.2.3' },
};

/** constraints parse, property values fit their types, patterns exclude constraints and properties. */
function checkOpenHorizonFields(spec: ImagePolicy['spec'], push: PushProblem): void {
  spec.constraints?.forEach((c, i) => {
    const r = parseConstraint(c);
    if (!r.ok) push(['spec', 'constraints', i], r.error);
  });
  // a name may repeat, as in anax: the first property of a name is the one compared
  spec.properties?.forEach((p, i) => {
    const form = p.type ? VALUE_FORMS[p.type] : undefined;
    if (form && !form.ok(p.value)) push(['spec', 'properties', i, 'value'], `${/^[aeiou]/.test(p.type!) ? 'an' : 'a'} ${p.type} property needs ${form.what}, got ${JSON.stringify(p.value)}`);
  });
  if (spec.patterns?.length && (spec.constraints?.length || spec.properties?.length)) {
    push(['spec', 'patterns'], 'patterns are mutually exclusive with constraints and properties (as in Open Horizon)');
  }
}
