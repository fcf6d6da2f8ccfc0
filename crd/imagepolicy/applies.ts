/**
 * Does an ImagePolicy apply to this node, and what decided it? Pure. The agent's views and the
 * reconciler's selection both use this one function, so `describe policy` says exactly why.
 *
 * In order: `enabled: false` switches a policy off; then the Kubernetes `nodeSelector` over the node
 * labels; then Open Horizon `patterns` (the node's `openhorizon.pattern` label); then Open Horizon
 * `constraints`, evaluated against the node labels as properties; last, the other way round, the
 * node's own constraints (`--node-constraint`) evaluated against the policy's `properties`.
 *
 * A policy with `properties` (an Open Horizon import always has them, possibly empty) follows
 * anax's rules for node management policies: it is subject to the node's constraints, and a node
 * that runs a pattern takes only policies that list its pattern. A policy without `properties` is
 * subject to neither.
 */
import type { ImagePolicySpec, PolicyProperty } from './type.js';
import { labelsAsProperties, satisfies, typedProperty, type Property } from '../fields/constraints.js';
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
  return list.map((p) => typedProperty(p.name, p.value, p.type));
}

/**
 * Is the node's pattern listed? As anax: `org/name` or `name` for a node on `org/name`. A node
 * label carries no org (label values have no `/`): then any listed `org/name` of that name matches.
 */
export function patternListed(listed: readonly string[], node: string): boolean {
  const slash = node.indexOf('/');
  if (slash >= 0) return listed.includes(node) || listed.includes(node.slice(slash + 1));
  return listed.some((p) => p === node || p.slice(p.indexOf('/') + 1) === node);
}

type Step = { no: Applicability } | { why: string; decidedBy: Decider } | null;

function patternStep(spec: ImagePolicySpec, labels: NodeFacts['labels']): Step {
  const mine = labels[PATTERN_LABEL];
  const no = (reason: string): Step => ({ no: { matches: false, reason, decidedBy: 'patterns' } });
  if (spec.patterns?.length) {
    const listed = spec.patterns.join(', ');
    if (mine === undefined) return no(`patterns [${listed}]: the node has no pattern (label ${PATTERN_LABEL})`);
    if (!patternListed(spec.patterns, mine)) return no(`patterns [${listed}]: the node's pattern ${mine} is not listed`);
    return { why: `the node's pattern ${mine} is listed in patterns`, decidedBy: 'patterns' };
  }
  if (spec.properties && mine !== undefined) {
    return no(`the node runs the pattern ${mine} and the policy lists no patterns (an Open Horizon policy with properties applies to nodes without a pattern)`);
  }
  return null;
}

function constraintSteps(spec: ImagePolicySpec, node: NodeFacts): Step[] {
  const steps: Step[] = [];
  if (spec.constraints?.length) {
    const r = satisfies(spec.constraints, labelsAsProperties(node.labels), { props: 'the node', constraint: 'constraint' });
    if (!r.ok) return [{ no: { matches: false, reason: r.reason, decidedBy: 'constraints' } }];
    steps.push({ why: `constraints ${spec.constraints.map((c) => JSON.stringify(c)).join(', ')} hold for the node labels`, decidedBy: 'constraints' });
  }
  if (spec.properties && node.constraints?.length) {
    const r = satisfies(node.constraints, propertiesOf(spec.properties), { props: 'the policy', constraint: 'node constraint' });
    if (!r.ok) return [{ no: { matches: false, reason: r.reason, decidedBy: 'nodeConstraints' } }];
    steps.push({ why: 'the node constraints hold for the policy properties', decidedBy: 'nodeConstraints' });
  }
  return steps;
}

export function appliesToNode(spec: ImagePolicySpec, node: NodeFacts): Applicability {
  if (spec.enabled === false) return { matches: false, reason: 'enabled: false (the policy is switched off)', decidedBy: 'enabled' };
  const why: string[] = [];
  let decidedBy: Decider = 'none';

  const sel = selectsNode(spec.nodeSelector, node.labels);
  if (!sel.matches) return { matches: false, reason: `nodeSelector ${sel.reason}`, decidedBy: 'nodeSelector' };
  if (spec.nodeSelector && (spec.nodeSelector.matchLabels || spec.nodeSelector.matchExpressions)) {
    why.push(sel.reason);
    decidedBy = 'nodeSelector';
  }

  for (const step of [patternStep(spec, node.labels), ...constraintSteps(spec, node)]) {
    if (!step) continue;
    if ('no' in step) return step.no;
    why.push(step.why);
    decidedBy = step.decidedBy;
  }

  if (spec.enabled === true) why.unshift('enabled: true');
  return { matches: true, reason: why.length ? why.join('; ') : 'no nodeSelector', decidedBy };
}
