import type { ObjectMeta } from './types.js';

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

export interface ImagePolicySpec {
  nodeSelector?: NodeSelector;
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
