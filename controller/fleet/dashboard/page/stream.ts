/**
 * The page's one connection: an EventSource on `/events` (server-sent events; the browser
 * reconnects by itself, and the server sends a fresh snapshot then). Events are merged as they
 * arrive (a row changed twice is drawn once) and applied once per animation frame, so a burst of
 * changes costs one DOM update per frame, and a hidden tab only merges until it is shown again.
 */
import { keepRecent } from '../recent.js';
import type { ActivityItem, Changes, DeviceRow, ReclaimedBucket, RolloutInfo, Snapshot } from '../wire.js';
import { MAX_ROWS } from './activity.js';

/** What one frame applies: everything that arrived since the frame before. */
export interface Batch {
  /** a snapshot arrived: the batch is the whole picture */
  replace: boolean;
  upsert: Map<string, DeviceRow>;
  remove: Set<string>;
  rollout: RolloutInfo | null;
  /** newest first */
  activity: ActivityItem[];
  reclaimed: ReclaimedBucket[];
}

export const emptyBatch = (): Batch => ({ replace: false, upsert: new Map(), remove: new Set(), rollout: null, activity: [], reclaimed: [] });

/** Fold a snapshot into the batch: it replaces whatever the batch held (pure). */
export function mergeSnapshot(_b: Batch, s: Snapshot): Batch {
  return { replace: true, upsert: new Map(s.devices.map((d) => [d.name, d])), remove: new Set(), rollout: s.rollout, activity: s.activity, reclaimed: s.reclaimed };
}

/** Fold a batch of changes into the batch (pure apart from the batch itself). */
export function mergeChanges(b: Batch, c: Changes): Batch {
  for (const name of c.remove) {
    b.upsert.delete(name);
    if (!b.replace) b.remove.add(name);
  }
  for (const d of c.upsert) {
    b.upsert.set(d.name, d);
    b.remove.delete(d.name);
  }
  if (c.rollout) b.rollout = c.rollout;
  if (c.activity.length) b.activity = keepRecent([...c.activity, ...b.activity], MAX_ROWS);
  if (c.reclaimed.length) b.reclaimed = [...b.reclaimed, ...c.reclaimed];
  return b;
}

/** when the whole picture arrived (the bench tells the first paint's parts apart with it) */
export const SNAPSHOT_MARK = 'dashboard:snapshot';

export type ConnectionState = 'connecting' | 'live' | 'reconnecting' | 'closed';

export function follow(url: string, apply: (b: Batch) => void, state: (s: ConnectionState) => void): EventSource {
  let batch = emptyBatch();
  let frame: number | null = null;
  const schedule = () => {
    frame ??= requestAnimationFrame(() => {
      frame = null;
      const b = batch;
      batch = emptyBatch();
      apply(b);
    });
  };
  const es = new EventSource(url);
  state('connecting');
  es.addEventListener('open', () => state('live'));
  es.addEventListener('error', () => state(es.readyState === EventSource.CLOSED ? 'closed' : 'reconnecting'));
  es.addEventListener('snapshot', (e) => {
    performance.mark(SNAPSHOT_MARK);
    batch = mergeSnapshot(batch, JSON.parse((e as MessageEvent<string>).data) as Snapshot);
    schedule();
  });
  es.addEventListener('changes', (e) => {
    batch = mergeChanges(batch, JSON.parse((e as MessageEvent<string>).data) as Changes);
    schedule();
  });
  return es;
}
