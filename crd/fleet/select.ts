/**
 * Which objects of a published set a device applies (decided on the device, as Open Horizon does):
 * an ImagePolicy when crd/imagepolicy/applies.ts says it applies to the node (enabled, nodeSelector,
 * patterns, constraints, the node's constraints over its properties); a Workload always (v1alpha1
 * Workloads carry no node selection). What the device applies is the object as published, without
 * the hub's bookkeeping (uid, generation, the publisher's applyset label): the device applies it
 * as its own applyset. Pure.
 */
import { appliesToNode, type NodeFacts } from '../imagepolicy/applies.js';
import type { ImagePolicySpec } from '../imagepolicy/type.js';
import { APPLYSET_LABEL } from '../apply/applyset.js';

/** The device's applyset for what the fleet gives it. */
export const FLEET_APPLYSET = 'fleet';

export interface PublishedObject {
  apiVersion?: unknown;
  kind?: unknown;
  metadata?: { name?: unknown; labels?: Record<string, string>; annotations?: Record<string, string> } & Record<string, unknown>;
  spec?: unknown;
}

/** The object as a manifest again (what validation and apply see). */
export function asManifest(o: PublishedObject): PublishedObject {
  if (!o || typeof o !== 'object' || !o.metadata || typeof o.metadata !== 'object') return o;
  const { uid: _u, generation: _g, creationTimestamp: _c, labels, ...metadata } = o.metadata;
  const rest = labels && typeof labels === 'object' ? Object.fromEntries(Object.entries(labels).filter(([k]) => k !== APPLYSET_LABEL)) : undefined;
  return { ...o, metadata: { ...metadata, ...(rest && Object.keys(rest).length ? { labels: rest } : {}) } };
}

/** Does this (valid) object select the node? */
export function selectsDevice(o: PublishedObject, node: NodeFacts): boolean {
  if (o.kind === 'ImagePolicy') return appliesToNode(o.spec as ImagePolicySpec, node).matches;
  return true;
}
