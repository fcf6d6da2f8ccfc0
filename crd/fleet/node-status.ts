/**
 * A node's status in `imagectl-nodes` (SPEC §10) and how the hub reads it: a status older than
 * 90 s reads as `ready: false, reason: Stale`. Pure.
 */
import type { DiskView } from '../api/disk.js';
import type { ImageItem } from '../api/image.js';
import { STALE_AFTER_MS } from './names.js';

export interface NodeWorkload {
  name: string;
  phase: string;
  reason: string;
  resolvedDigest: string | null;
  imageId: string | null;
}

/**
 * A node's disk (SPEC §10): the data root's usage as the agent's last pass measured it (statfs,
 * used = blocks − available blocks, as SPEC §8 counts), and, with a disk budget, the fields of
 * `plan -o json`'s `disk` (thresholds and whether it is under pressure, or the byte form). The
 * data-root fields are null when the agent cannot see that path (a remote engine with a byte budget).
 */
export type NodeDisk = {
  /** the engine's data root */
  path: string | null;
  usedBytes: number | null;
  totalBytes: number | null;
  /** used fraction, 0–1, four decimals */
  usedRatio: number | null;
} & Partial<Omit<DiskView, 'path' | 'measuredAt'>>;

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
  /** every image the device knows (removed ones too), as `get images -o json` items; `labels`: the engine's labels of the image, when it has any */
  images: { id: string; labels?: Record<string, string>; status: ImageItem['status'] }[];
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

export type FleetImageItem = ImageItem & { status: ImageItem['status'] & { node: string } };

/** One image of one node as the fleet lists it: `status.node`, and its engine labels in `metadata.labels` (what `-l` selects by). */
export function fleetImageItem(node: string, i: NodeStatus['images'][number]): FleetImageItem {
  const labels = i.labels && Object.keys(i.labels).length > 0 ? { labels: i.labels } : {};
  return { apiVersion: 'imagectl.dev/v1alpha1', kind: 'Image', metadata: { name: i.id, ...labels }, status: { ...i.status, node } };
}

/** The fleet's images: one item per node and image, each carrying `status.node`. */
export function fleetImageItems(nodes: readonly NodeStatus[]): FleetImageItem[] {
  const out: FleetImageItem[] = [];
  for (const n of nodes) for (const i of n.images) out.push(fleetImageItem(n.node, i));
  return out;
}
