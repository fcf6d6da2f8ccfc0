import type { ObjectMeta } from '../types.js';

export interface LabelSelectorRequirement {
  key: string;
  operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';
  values?: string[];
}

export interface NodeSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: LabelSelectorRequirement[];
}

export interface RemovalRule {
  /** exact `name:tag`, `*`, or a minimatch glob such as `registry.local/app:1.*` or `*\/sensor:*`. */
  imageName: string;
  /** duration such as `90s`, `30m`, `2h`, `1d`; exactly one of deleteAfter / deleteAfterMinutes. */
  deleteAfter?: string;
  deleteAfterMinutes?: number;
  /** only images that the agent itself pulled or loaded. Default false. */
  agentDownloadedOnly?: boolean;
}

/** A policy property, for the node's Open Horizon constraints (`--node-constraint`) to refer to. */
export interface PolicyProperty {
  name: string;
  /** the value as text; `type` says how to read it */
  value: string;
  /** default: inferred from the value (`10` int, `1.5` float, `true` boolean, anything else string) */
  type?: 'string' | 'int' | 'float' | 'boolean' | 'version' | 'list of strings';
}

export interface ImagePolicySpec {
  /** default true; false switches the policy off everywhere (Open Horizon's `enabled`) */
  enabled?: boolean;
  nodeSelector?: NodeSelector;
  /** Open Horizon constraint expressions over the node's labels, all of which must hold */
  constraints?: string[];
  /** Open Horizon policy properties, matched by the node's own constraints */
  properties?: PolicyProperty[];
  /** Open Horizon patterns: the policy applies only to a node whose openhorizon.pattern label is listed */
  patterns?: string[];
  removal?: RemovalRule[];
  /** globs of images that are never removed. */
  keep?: string[];
}

export interface ImagePolicy {
  apiVersion: 'imagectl.dev/v1alpha1';
  kind: 'ImagePolicy';
  metadata: ObjectMeta;
  spec: ImagePolicySpec;
}
