/**
 * What the dashboard knows of the fleet, fed by the hub's watches (feed.ts): every node's last
 * status and its row, the latest `_commit`, the recent audit records, and the bytes reclaimed per
 * minute over the last 24 h. Each change is also queued, so that the server can send the page a
 * batch of what changed instead of everything (takeChanges). Pure: time comes in as `now`.
 */
import type { LogRecord } from '../../../crd/api/audit.js';
import { decodeCommit } from '../../../crd/fleet/commit.js';
import type { NodeStatus } from '../../../crd/fleet/node-status.js';
import { keepRecent } from './recent.js';
import { deviceRow, sameRow } from './rows.js';
import type { ActivityItem, Changes, DeviceRow, RolloutInfo, Snapshot } from './wire.js';

export const DAY_MS = 24 * 3600_000;
/**
 * audit records kept for the Activity list: this many removals and this many other records, so
 * that a rollout's apply records (one per device) do not push the removals out
 */
export const ACTIVITY_MAX = 200;
const MINUTE_S = 60;

type FleetRecord = LogRecord & { node?: unknown; freedBytes?: unknown };

export class FleetModel {
  readonly nodes = new Map<string, NodeStatus>();
  private readonly rows = new Map<string, DeviceRow>();
  /** per node: its removals of the last 24 h, [time ms, bytes] */
  private readonly freed = new Map<string, [number, number][]>();
  /** minute start (Unix s) → bytes reclaimed in that minute */
  private readonly reclaimed = new Map<number, number>();
  /** newest first */
  private activity: ActivityItem[] = [];
  private removals: ActivityItem[] = [];
  private rollout: RolloutInfo = { revision: 0, publishedAt: null, publisher: null, objects: 0 };
  /** the last audit sequence taken in: a consumer started again resumes after it */
  lastSeq = 0;
  private pending: Pending = emptyChanges();

  /** A put (JSON text) or a delete (null) of `imagectl-nodes` key `node`. */
  putNode(node: string, value: string | null, now: number): void {
    if (value === null) {
      this.nodes.delete(node);
      this.freed.delete(node);
      if (this.rows.delete(node)) {
        this.pending.upsert.delete(node);
        this.pending.remove.add(node);
      }
      return;
    }
    let s: NodeStatus;
    try {
      s = JSON.parse(value) as NodeStatus;
    } catch {
      return; // a key written by hand that is not a status is not a node
    }
    if (!s || typeof s !== 'object') return;
    this.nodes.set(node, { ...s, node });
    this.refresh(node, now);
  }

  /** The `_commit` key's entry (revision 0 and null: none, or deleted). */
  putCommit(revision: number, value: string | null): void {
    const d = value === null ? null : decodeCommit(value);
    const c = d?.ok ? d.commit : null;
    this.rollout = { revision: value === null ? 0 : revision, publishedAt: c?.publishedAt || null, publisher: c?.publisher || null, objects: c ? Object.keys(c.objects).length : 0 };
    this.pending.rollout = this.rollout;
  }

  /** A record of IMAGECTL_AUDIT at stream sequence `seq`; one seen before is ignored. */
  addAudit(seq: number, r: FleetRecord, now: number): void {
    if (seq <= this.lastSeq) return;
    this.lastSeq = seq;
    const node = typeof r.node === 'string' ? r.node : '';
    const t = Date.parse(r.time);
    const removal = r.event === 'removed' && r.to === 'removed';
    const freedBytes = removal ? this.freedBy(node, r) : null;
    const item: ActivityItem = {
      seq, time: String(r.time), node, image: r.image ?? null, tags: Array.isArray(r.tags) ? r.tags : [],
      from: r.from ?? null, to: String(r.to), event: String(r.event), reason: String(r.reason ?? ''), removal, freedBytes,
    };
    const list = r.to === 'removed' ? this.removals : this.activity;
    list.unshift(item);
    if (list.length > ACTIVITY_MAX) list.length = ACTIVITY_MAX;
    this.pending.activity.unshift(item);
    if (this.pending.activity.length > 2 * ACTIVITY_MAX) this.pending.activity = keepRecent(this.pending.activity, ACTIVITY_MAX);
    if (!freedBytes || !(now - t < DAY_MS)) return;
    const mine = this.freed.get(node) ?? [];
    mine.push([t, freedBytes]);
    this.freed.set(node, mine);
    const minute = Math.floor(t / 1000 / MINUTE_S) * MINUTE_S;
    const total = (this.reclaimed.get(minute) ?? 0) + freedBytes;
    this.reclaimed.set(minute, total);
    this.pending.reclaimed.set(minute, total);
    if (this.nodes.has(node)) this.refresh(node, now);
  }

  /** Time passed: rows that went stale, removals that left the 24 h window. */
  tick(now: number): void {
    const oldest = Math.floor((now - DAY_MS) / 1000 / MINUTE_S) * MINUTE_S;
    for (const m of this.reclaimed.keys()) if (m < oldest) this.reclaimed.delete(m);
    for (const [node, list] of this.freed) {
      const kept = list.filter(([t]) => now - t < DAY_MS);
      if (kept.length === 0) this.freed.delete(node);
      else if (kept.length !== list.length) this.freed.set(node, kept);
    }
    for (const node of this.nodes.keys()) this.refresh(node, now);
  }

  /** The whole picture, staleness and windows as of the last tick (the server ticks every few seconds; a page load does not). */
  snapshot(now: number): Snapshot {
    return {
      devices: [...this.rows.values()],
      rollout: this.rollout,
      activity: [...this.activity, ...this.removals].sort((a, b) => b.seq - a.seq),
      reclaimed: [...this.reclaimed.entries()].sort((a, b) => a[0] - b[0]),
      now: new Date(now).toISOString(),
    };
  }

  /** What changed since the last call, or null when nothing did. */
  takeChanges(): Changes | null {
    const p = this.pending;
    if (p.upsert.size + p.remove.size + p.activity.length + p.reclaimed.size === 0 && !p.rollout) return null;
    this.pending = emptyChanges();
    return {
      upsert: [...p.upsert.values()], remove: [...p.remove], activity: p.activity, reclaimed: [...p.reclaimed.entries()],
      ...(p.rollout ? { rollout: p.rollout } : {}),
    };
  }

  get size(): number {
    return this.rows.size;
  }

  private refresh(node: string, now: number): void {
    const s = this.nodes.get(node);
    if (!s) return;
    const freed = (this.freed.get(node) ?? []).reduce((n, [t, b]) => (now - t < DAY_MS ? n + b : n), 0);
    const row = deviceRow(s, freed, now);
    if (sameRow(this.rows.get(node), row)) return;
    this.rows.set(node, row);
    this.pending.upsert.set(node, row);
    this.pending.remove.delete(node);
  }

  /** What a removal freed: the record says (disk pressure's freedBytes), else the image's size as the node reported it. */
  private freedBy(node: string, r: FleetRecord): number | null {
    if (typeof r.freedBytes === 'number' && Number.isFinite(r.freedBytes)) return r.freedBytes;
    const img = this.nodes.get(node)?.images?.find((i) => i.id === r.image);
    return img && typeof img.status?.sizeBytes === 'number' ? img.status.sizeBytes : null;
  }
}

interface Pending {
  upsert: Map<string, DeviceRow>;
  remove: Set<string>;
  rollout?: RolloutInfo;
  activity: ActivityItem[];
  reclaimed: Map<number, number>;
}

function emptyChanges(): Pending {
  return { upsert: new Map(), remove: new Set(), activity: [], reclaimed: new Map() };
}
