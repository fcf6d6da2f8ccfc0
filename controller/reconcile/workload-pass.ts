/** The Workload part of a pass: converge every Workload, remove containers of deleted ones. */
import type { Observation } from '../engine/observation.js';
import type { DownloadRecord } from '../store/records.js';
import { LABEL_MANAGED, LABEL_WORKLOAD, type WorkloadStatus } from '../workloads/executor.js';
import type { PassDeps } from './options.js';
import { withChanges, type LoopState } from './state.js';

export interface WorkloadPassResult {
  /** the engine changed: observe again */
  touched: boolean;
  statuses: [string, WorkloadStatus][];
  deleted: string[];
  downloads: [string, DownloadRecord][];
}

/** How many Workloads converge at once (pulls and container changes). */
const WORKERS = 2;

export async function reconcileWorkloads(d: PassDeps, s: LoopState, observed: Observation): Promise<WorkloadPassResult> {
  const out: WorkloadPassResult = { touched: false, statuses: [], deleted: [], downloads: [] };
  const names = new Set(s.workloads.map((w) => w.metadata.name));
  if (s.workloads.length === 0 && !observed.containers.some((c) => c.labels[LABEL_MANAGED] === 'true') && s.statuses.size === 0) return out;
  const queue = [...s.workloads];
  const worker = async () => {
    for (let w = queue.shift(); w; w = queue.shift()) {
      const key = `Workload/${w.metadata.name}`;
      const prev = s.statuses.get(key);
      const r = await d.workloads.reconcile(w, prev, observed.containers, d.room);
      out.touched ||= r.touched;
      out.downloads.push(...r.downloads);
      if (JSON.stringify(prev) !== JSON.stringify(r.status)) out.statuses.push([key, r.status]);
      if (r.status.phase === 'Failed' && prev?.message !== r.status.message) d.log.warn({ workload: w.metadata.name, reason: r.status.reason, message: r.status.message }, 'workload failed');
    }
  };
  await Promise.all(Array.from({ length: WORKERS }, worker));
  // only containers of Workloads this store knew (a status was recorded): after a repair that lost
  // Workload objects, their containers are left alone, not taken for containers of deleted Workloads
  const known = observed.containers.filter((c) => s.statuses.has(`Workload/${c.labels[LABEL_WORKLOAD] ?? ''}`));
  const orphans = await d.workloads.removeOrphans(names, known);
  if (orphans.length) {
    out.touched = true;
    d.log.info({ containers: orphans }, 'removed containers of deleted workloads');
  }
  for (const key of s.statuses.keys()) if (!names.has(key.slice('Workload/'.length))) out.deleted.push(key);
  return out;
}

/** What the engine now holds is acted on: keep it in memory, and as unwritten until a commit takes it. */
export function noteWorkloadResults(s: LoopState, wl: WorkloadPassResult): void {
  noteDownloads(s, wl.downloads);
  for (const [k, st] of wl.statuses) s.unwritten.statuses.set(k, st);
  for (const k of wl.deleted) s.unwritten.deleted.add(k);
  s.statuses = withChanges(s.statuses, wl.statuses, wl.deleted);
}

/** Downloads the agent made (a workload's, or an API pull's), committed by the next pass. */
export function noteDownloads(s: LoopState, downloads: readonly [string, DownloadRecord][]): void {
  if (downloads.length === 0) return;
  for (const [id, r] of downloads) s.unwritten.downloads.set(id, r);
  s.downloads = withChanges(s.downloads, downloads);
}
