/**
 * The ImagePolicy kind's type: generated from crd/imagepolicy/schema.json (npm run types), so it
 * is the shape the validator accepts. The names below are parts of it that code refers to.
 */
import type { ImagePolicy } from '../precompiled/manifest-types.js';

export type { ImagePolicy };
export type ImagePolicySpec = ImagePolicy['spec'];
export type NodeSelector = NonNullable<ImagePolicySpec['nodeSelector']>;
export type LabelSelectorRequirement = NonNullable<NodeSelector['matchExpressions']>[number];
export type RemovalRule = NonNullable<ImagePolicySpec['removal']>[number];
/** A policy property, for the node's Open Horizon constraints (`--node-constraint`) to refer to. */
export type PolicyProperty = NonNullable<ImagePolicySpec['properties']>[number];
