/**
 * A node's status (imagectl-nodes) as one row of the Devices table. Staleness is the hub's rule
 * (crd/fleet/node-status.ts: not written for 90 s reads `ready: false, reason: Stale`). The disk
 * cell reads whichever form the device reports in `disk` (SPEC §10): the disk budget as
 * `plan -o json` gives it (percent with thresholds, or the byte form), else the data root's usage;
 * a status without any of them leaves the cell blank. Pure.
 */
import { nodeItem, type NodeStatus } from '../../../crd/fleet/node-status.js';
import { humanBytes } from './format.js';
import type { DeviceRow, DiskCell } from './wire.js';

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const round1 = (v: number) => Math.round(v * 10) / 10;

/** The disk cell for whatever `disk` holds, or null. */
export function diskCell(disk: unknown): DiskCell | null {
  if (!disk || typeof disk !== 'object') return null;
  const d = disk as Record<string, unknown>;
  const path = typeof d.path === 'string' ? d.path : null;
  const pressure = d.underPressure === true;
  const usedPercent = num(d.usedPercent);
  if (usedPercent !== null) {
    const high = num(d.highThresholdPercent);
    const low = num(d.lowThresholdPercent);
    const thresholds = high !== null ? `, high ${high}%${low !== null ? `, low ${low}%` : ''}` : '';
    return { text: `${round1(usedPercent)}%`, percent: usedPercent, high, low, pressure, detail: `${path ?? 'data root'}: ${round1(usedPercent)}% used${thresholds}${pressure ? ', under pressure' : ''}` };
  }
  const imageBytes = num(d.imageBytes);
  const max = num(d.maxImageBytes);
  if (imageBytes !== null && max !== null && max > 0) {
    const target = num(d.targetImageBytes);
    const percent = (100 * imageBytes) / max;
    return {
      text: `${humanBytes(imageBytes)} of ${humanBytes(max)}`, percent, high: 100, low: target !== null ? (100 * target) / max : null, pressure,
      detail: `images: ${humanBytes(imageBytes)}, budget ${humanBytes(max)}${target !== null ? `, target ${humanBytes(target)}` : ''}${pressure ? ', under pressure' : ''}`,
    };
  }
  const ratio = num(d.usedRatio);
  if (ratio !== null) {
    const total = num(d.totalBytes);
    const used = num(d.usedBytes);
    const sizes = used !== null && total !== null ? ` (${humanBytes(used)} of ${humanBytes(total)})` : '';
    return { text: `${round1(ratio * 100)}%`, percent: ratio * 100, high: null, low: null, pressure: false, detail: `${path ?? 'data root'}: ${round1(ratio * 100)}% used${sizes}` };
  }
  return null;
}

/** The table's row for a node at `now`, with the bytes its removals freed in the last 24 h. */
export function deviceRow(s: NodeStatus, freed24h: number, now: number): DeviceRow {
  const item = nodeItem(s, now);
  const images = Array.isArray(s.images) ? s.images.filter((i) => i?.status?.state !== 'removed').length : 0;
  return {
    name: s.node,
    labels: s.labels && typeof s.labels === 'object' ? s.labels : {},
    ready: item.status.ready === true,
    reason: String(item.status.reason ?? ''),
    lastSeen: String(s.lastSeen ?? ''),
    appliedRevision: typeof s.appliedRevision === 'number' ? s.appliedRevision : null,
    disk: diskCell(s.disk),
    images,
    freed24h,
  };
}

/** Whether two rows show the same (the server sends only rows that changed). */
export function sameRow(a: DeviceRow | undefined, b: DeviceRow): boolean {
  return a !== undefined && JSON.stringify(a) === JSON.stringify(b);
}
