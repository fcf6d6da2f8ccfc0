/** The disk budgets as `plan` and `apply --dry-run=server` print them, and a fleet node's disk. */
import type { DiskView } from '../crd/api/disk.js';
import type { NodeDisk } from '../crd/fleet/node-status.js';
import { bytes } from './output.js';

const pct = (v: number) => `${v.toFixed(1).replace(/\.0$/, '')}%`;

/** `Disk: /var/lib/docker 91.2% used (high 85%, low 80%): under pressure`, or why there is no figure. */
export function diskLine(d: DiskView | null): string {
  if (!d) return 'Disk: no disk budget applies (spec.diskPressure)\n';
  const parts: string[] = [];
  if (d.highThresholdPercent !== undefined) parts.push(d.usedPercent != null ? `${d.path} ${pct(d.usedPercent)} used (high ${pct(d.highThresholdPercent)}, low ${pct(d.lowThresholdPercent!)})` : `${d.path ?? 'the data root'} not measured (high ${pct(d.highThresholdPercent)}, low ${pct(d.lowThresholdPercent!)})`);
  if (d.maxImageBytes !== undefined) parts.push(`${d.imageBytes != null ? `images ${bytes(d.imageBytes)}` : 'images not measured'} (max ${bytes(d.maxImageBytes)}, target ${bytes(d.targetImageBytes!)})`);
  const state = d.underPressure ? 'under pressure' : 'not under pressure';
  const more = d.budgets.length > 1 ? `; ${d.budgets.length} budgets (${d.budgets.map((b) => `${b.policy}${b.exceeded ? ' exceeded' : ''}`).join(', ')})` : '';
  return `Disk: ${parts.join('; ')}: ${state}${more}${d.error ? `; ${d.error}` : ''}\n`;
}

/** A node's disk in `get nodes -o wide`: `91.2% (85%/80%)`, `!` under pressure; the byte form as `7.50GB/10.0GB`. */
export function nodeDiskCell(d: NodeDisk | null): string {
  if (!d) return '<none>';
  const mark = d.underPressure ? '!' : '';
  if (d.usedRatio !== null) {
    const at = pct(d.usedPercent ?? d.usedRatio * 100);
    return `${at}${mark}${d.highThresholdPercent !== undefined ? ` (${pct(d.highThresholdPercent)}/${pct(d.lowThresholdPercent!)})` : ''}`;
  }
  if (d.maxImageBytes !== undefined) return `${d.imageBytes != null ? bytes(d.imageBytes) : '?'}/${bytes(d.maxImageBytes)}${mark}`;
  return '<none>';
}

/** A node's disk in `describe node`: usage, and the budget when one applies. */
export function nodeDiskText(d: NodeDisk | null): string {
  if (!d) return '<unknown>';
  const root = d.usedBytes !== null && d.totalBytes !== null ? `${bytes(d.usedBytes)} of ${bytes(d.totalBytes)} used (${d.path}, ${pct(d.usedPercent ?? (d.usedRatio ?? 0) * 100)})` : 'the data root is not visible to the agent';
  if (!d.budgets?.length) return `${root}; no disk budget`;
  const limits: string[] = [];
  if (d.highThresholdPercent !== undefined) limits.push(`high ${pct(d.highThresholdPercent)}, low ${pct(d.lowThresholdPercent!)}`);
  if (d.maxImageBytes !== undefined) limits.push(`images ${d.imageBytes != null ? bytes(d.imageBytes) : '?'} (max ${bytes(d.maxImageBytes)}, target ${bytes(d.targetImageBytes!)})`);
  return `${root}; ${limits.join('; ')}: ${d.underPressure ? 'under pressure' : 'not under pressure'}`;
}
