/**
 * Does an ImagePolicy apply to this node, and what decided it? Pure. The agent's views and the
 * reconciler's selection both use this one function, so `describe policy` says exactly why.
 *
 * In order: `enabled: false` switches a policy off; then the Kubernetes `nodeSelector` over the node
 * labels; then Open Horizon `patterns` (the node's `openhorizon.pattern` label); then Open Horizon
 * `constraints`, evaluated against the node labels as properties; last, the other way round, the
 * node's own constraints (`--node-constraint`) evaluated against the policy's `properties`. A
 * policy without `properties` is not subject to node constraints (an Open Horizon import always has
 * them, possibly empty, so it is, as in Open Horizon).
 */
import type { ImagePolicySpec, PolicyProperty } from './type.js';
import { inferType, labelsAsProperties, satisfies, type Property } from '../fields/constraints.js';
import { selectsNode } from './node-selector.js';

/** The node label that names the node's Open Horizon pattern. */
export const PATTERN_LABEL = 'openhorizon.pattern';

export interface NodeFacts {
  labels: Readonly<Record<string, string>>;
  /** Open Horizon constraint expressions of the node, over policy properties */
  constraints?: readonly string[];
}

export type Decider = 'enabled' | 'nodeSelector' | 'patterns' | 'constraints' | 'nodeConstraints' | 'none';

export interface Applicability {
  matches: boolean;
  /** what decided it, in words, for `describe policy` */
  reason: string;
  decidedBy: Decider;
}

export function propertiesOf(list: readonly PolicyProperty[]): Property[] {
  return list.map((p) => ({ name: p.name, value: p.value, type: p.type ?? inferType(p.value) }));
}

/** `org/pattern` or `pattern`: a node pattern matches either form. */
function patternMatches(listed: string, node: string): boolean {
  const short = (s: string) => s.slice(s.lastIndexOf('/') + 1);
  return listed === node || short(listed) === short(node);
}

export function appliesToNode(spec: ImagePolicySpec, node: NodeFacts): Applicability {
  const no = (decidedBy: Decider, reason: string): Applicability => ({ matches: false, reason, decidedBy });
  if (spec.enabled === false) return no('enabled', 'enabled: false (the policy is switched off)');
  const why: string[] = [];
  let decidedBy: Decider = 'none';

  const sel = selectsNode(spec.nodeSelector, node.labels);
  if (!sel.matches) return no('nodeSelector', `nodeSelector ${sel.reason}`);
  if (spec.nodeSelector && (spec.nodeSelector.matchLabels || spec.nodeSelector.matchExpressions)) {
    why.push(sel.reason);
    decidedBy = 'nodeSelector';
  }

  if (spec.patterns?.length) {
    const mine = node.labels[PATTERN_LABEL];
    const listed = spec.patterns.join(', ');
    if (mine === undefined) return no('patterns', `patterns [${listed}]: the node has no pattern (label ${PATTERN_LABEL})`);
    if (!spec.patterns.some((p) => patternMatches(p, mine))) return no('patterns', `patterns [${listed}]: the node's pattern ${mine} is not listed`);
    why.push(`the node's pattern ${mine} is listed in patterns`);
    decidedBy = 'patterns';
  }

  if (spec.constraints?.length) {
    const r = satisfies(spec.constraints, labelsAsProperties(node.labels), { props: 'the node', constraint: 'constraint' });
    if (!r.ok) return no('constraints', r.reason);
    why.push(`constraints ${spec.constraints.map((c) => JSON.stringify(c)).join(', ')} hold for the node labels`);
    decidedBy = 'constraints';
  }

  if (spec.properties && node.constraints?.length) {
    const r = satisfies(node.constraints, propertiesOf(spec.properties), { props: 'the policy', constraint: 'node constraint' });
    if (!r.ok) return no('nodeConstraints', r.reason);
    why.push('the node constraints hold for the policy properties');
    decidedBy = 'nodeConstraints';
  }

  if (spec.enabled === true) why.unshift('enabled: true');
  return { matches: true, reason: why.length ? why.join('; ') : 'no nodeSelector', decidedBy };
}
