/**
 * A node's status in `imagectl-nodes` (SPEC §10) and how the hub reads it: a status older than
 * 90 s reads as `ready: false, reason: Stale`. Pure.
 */
import type { ImageItem } from '../api/image.js';
import { STALE_AFTER_MS } from './names.js';

export interface NodeWorkload {
  name: string;
  phase: string;
  reason: string;
  resolvedDigest: string | null;
  imageId: string | null;
}

export interface NodeDisk {
  /** the engine's data root */
  path: string | null;
  usedBytes: number;
  totalBytes: number;
  usedRatio: number;
}

export interface NodeStatus {
  node: string;
  labels: Record<string, string>;
  /** ISO-8601: when the device last wrote this */
  lastSeen: string;
  /** the revision of the `_commit` the device applied, or null before the first */
  appliedRevision: number | null;
  ready: boolean;
  reason: string;
  /** the objects of the fleet set this node applied, `kind/name` */
  objects: string[];
  disk: NodeDisk | null;
  workloads: NodeWorkload[];
  /** every image the device knows (removed ones too), as `get images -o json` items */
  images: { id: string; status: ImageItem['status'] }[];
  engine: { reachable: boolean; error: string | null };
}

/** A node as `get nodes -o json` lists it. */
export interface NodeItem {
  apiVersion: 'v1';
  kind: 'Node';
  metadata: { name: string; labels: Record<string, string> };
  status: Omit<NodeStatus, 'node' | 'labels'>;
}

/** The node as the hub shows it at `now`: a status not written for 90 s is Stale. */
export function nodeItem(s: NodeStatus, now: number): NodeItem {
  const { node, labels, ...status } = s;
  const age = now - Date.parse(s.lastSeen);
  const stale = !(age <= STALE_AFTER_MS);
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name: node, labels },
    status: stale ? { ...status, ready: false, reason: 'Stale' } : status,
  };
}

/** The fleet's images: one item per node and image, each carrying `status.node`. */
export function fleetImageItems(nodes: readonly NodeStatus[]): (ImageItem & { status: ImageItem['status'] & { node: string } })[] {
  const out: (ImageItem & { status: ImageItem['status'] & { node: string } })[] = [];
  for (const n of nodes) {
    for (const i of n.images) out.push({ apiVersion: 'imagectl.dev/v1alpha1', kind: 'Image', metadata: { name: i.id }, status: { ...i.status, node: n.node } });
  }
  return out;
}
