/**
 * What the dashboard's server sends its page (server-sent events on `/events`, and the answer of
 * `/api/images`). Types only: the server (controller/fleet/dashboard/) and the page
 * (controller/fleet/dashboard/page/, bundled for the browser) both import them, so the two sides
 * cannot drift apart.
 */

/** A device's disk as the table shows it: a percent with its thresholds when the status has them. */
export interface DiskCell {
  /** what the cell reads, e.g. `91.2%` or `7.5 GB of 10 GB` */
  text: string;
  /** used, 0–100, for the meter and for sorting; null when only bytes are known */
  percent: number | null;
  /** the disk budget's thresholds, percent (a policy with diskPressure), else null */
  high: number | null;
  low: number | null;
  pressure: boolean;
  /** the longer form, for the cell's title: path, sizes, thresholds */
  detail: string;
}

/** One row of the Devices table, as the server derives it from the node's status. */
export interface DeviceRow {
  name: string;
  labels: Record<string, string>;
  ready: boolean;
  reason: string;
  /** ISO-8601 */
  lastSeen: string;
  appliedRevision: number | null;
  disk: DiskCell | null;
  /** images the device holds now (removed ones not counted) */
  images: number;
  /** bytes the device's removals freed in the last 24 h */
  freed24h: number;
}

/** The latest `_commit` of `imagectl-manifests`; revision 0 before the first publish. */
export interface RolloutInfo {
  revision: number;
  publishedAt: string | null;
  publisher: string | null;
  /** how many objects the set lists */
  objects: number;
}

/** An audit record of the fleet, as the Activity list shows it. */
export interface ActivityItem {
  /** the record's sequence in IMAGECTL_AUDIT */
  seq: number;
  time: string;
  node: string;
  image: string | null;
  tags: string[];
  from: string | null;
  to: string;
  event: string;
  reason: string;
  /** a removal by imagectl: the image's machine went to `removed` on its own removal */
  removal: boolean;
  /** what the removal freed (the record's freedBytes, else the image's size in the node's status) */
  freedBytes: number | null;
}

/** Bytes reclaimed across the fleet per minute: [minute start in Unix seconds, bytes]. */
export type ReclaimedBucket = [number, number];

export interface Snapshot {
  devices: DeviceRow[];
  rollout: RolloutInfo;
  /** newest first */
  activity: ActivityItem[];
  /** the last 24 h, oldest first */
  reclaimed: ReclaimedBucket[];
  /** the server's clock, ISO-8601 */
  now: string;
}

/** A batch of changes, sent at most every FLUSH_MS. */
export interface Changes {
  upsert: DeviceRow[];
  remove: string[];
  rollout?: RolloutInfo;
  /** newest first */
  activity: ActivityItem[];
  /** buckets that changed (a bucket given again replaces its value); older than 24 h ones dropped on the page */
  reclaimed: ReclaimedBucket[];
}

/** The SSE events: `snapshot` (on connect) then `changes`. */
export type EventName = 'snapshot' | 'changes';

/** `/api/images?q=...`: who holds an image, and in which state. */
export interface ImageHolder {
  node: string;
  id: string;
  tags: string[];
  state: string;
  sizeBytes: number;
  lastUsedAt: string | null;
  reason: string;
}

export interface ImagesAnswer {
  query: string;
  /** how the query was read */
  kind: 'glob' | 'reference';
  items: ImageHolder[];
  /** the query is not an image reference, ID or glob */
  error?: string;
}
