import { checkRange, parseDuration } from '../policy/duration.js';
import type { ImagePolicy } from './imagepolicy.js';
import type { PushProblem } from './kinds.js';
import { imagePatternProblem } from './pattern.js';

/** ImagePolicy rules the schema cannot express. `obj` has passed the schema. */
export function checkImagePolicy(obj: unknown, push: PushProblem): void {
  const spec = (obj as ImagePolicy).spec;
  spec.removal?.forEach((rule, i) => {
    const at = ['spec', 'removal', i];
    const hasAfter = rule.deleteAfter !== undefined;
    const hasMinutes = rule.deleteAfterMinutes !== undefined;
    if (hasAfter && hasMinutes) push(at, 'set exactly one of deleteAfter and deleteAfterMinutes, not both');
    if (!hasAfter && !hasMinutes) push(at, 'set exactly one of deleteAfter and deleteAfterMinutes');
    if (hasAfter) {
      const d = parseDuration(rule.deleteAfter);
      if (!d.ok) push([...at, 'deleteAfter'], d.error);
    }
    if (hasMinutes) {
      const minutes = rule.deleteAfterMinutes!;
      const d = checkRange(minutes * 60_000, `${minutes} minutes`);
      if (!d.ok) push([...at, 'deleteAfterMinutes'], d.error);
    }
    const problem = imagePatternProblem(rule.imageName);
    if (problem) push([...at, 'imageName'], problem);
  });
  spec.keep?.forEach((p, i) => {
    const problem = imagePatternProblem(p);
    if (problem) push(['spec', 'keep', i], problem);
  });
  spec.nodeSelector?.matchExpressions?.forEach((req, i) => {
    const at = ['spec', 'nodeSelector', 'matchExpressions', i];
    const needsValues = req.operator === 'In' || req.operator === 'NotIn';
    if (needsValues && !req.values?.length) {
      push(req.values ? [...at, 'values'] : at, `operator ${req.operator} needs a non-empty values list`);
    }
    if (!needsValues && req.values?.length) {
      push([...at, 'values'], `operator ${req.operator} must not have values`);
    }
  });
}
