/** Does a policy's nodeSelector select this node? Kubernetes label-selector semantics. Pure. */
import type { NodeSelector } from './type.js';

export interface SelectorResult {
  matches: boolean;
  /** what decided it, for `describe policy` */
  reason: string;
}

export function selectsNode(sel: NodeSelector | undefined, labels: Readonly<Record<string, string>>): SelectorResult {
  if (!sel || (!sel.matchLabels && !sel.matchExpressions)) return { matches: true, reason: 'no nodeSelector' };
  for (const [k, v] of Object.entries(sel.matchLabels ?? {})) {
    if (labels[k] !== v) {
      return { matches: false, reason: `matchLabels ${k}=${v}: node has ${k in labels ? `${k}=${labels[k]}` : `no label ${k}`}` };
    }
  }
  for (const e of sel.matchExpressions ?? []) {
    const has = Object.hasOwn(labels, e.key);
    const v = labels[e.key];
    const values = e.values ?? [];
    let ok: boolean;
    switch (e.operator) {
      case 'In': ok = has && values.includes(v!); break;
      case 'NotIn': ok = !has || !values.includes(v!); break;
      case 'Exists': ok = has; break;
      case 'DoesNotExist': ok = !has; break;
      default: ok = false;
    }
    if (!ok) {
      const expr = `${e.key} ${e.operator}${values.length ? ` (${values.join(',')})` : ''}`;
      return { matches: false, reason: `matchExpressions ${expr}: node has ${has ? `${e.key}=${v}` : `no label ${e.key}`}` };
    }
  }
  return { matches: true, reason: 'nodeSelector matches the node labels' };
}
