/** The disk budgets as `plan` and `apply --dry-run=server` print them. */
import type { DiskView } from '../crd/api/disk.js';
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
