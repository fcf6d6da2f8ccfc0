/**
 * What the fleet reads of the agent's loop, in one place: the reconciler's images, workload
 * statuses, engine state and safe mode at one moment (the shape of a subset of the loop's
 * snapshot), and the disk as the last pass measured it. The status writer reads only this.
 */
import type { NodeDisk } from '../../crd/fleet/node-status.js';
import type { PersistedImage } from '../../statemachines/runtime.js';
import { imageLabels } from '../service/views.js';
import { diskView } from '../service/disk-view.js';
import type { EngineStatus, Reconciler, SafeMode } from '../reconcile/reconciler.js';
import type { WorkloadStatus } from '../workloads/executor.js';

export interface AgentState {
  now: number;
  engine: EngineStatus;
  safeMode: SafeMode | null;
  images: ReadonlyMap<string, PersistedImage>;
  statuses: ReadonlyMap<string, WorkloadStatus>;
  /** image ID → the engine's labels of that image, from the last observation */
  labels: ReadonlyMap<string, Record<string, string>>;
  /** the policies whose disk budgets apply (what the status check glances at) */
  diskBudgets: string;
}

export function agentState(rec: Reconciler): AgentState {
  const s = rec.snapshot();
  const budgets = s.disk?.budgets.map((b) => b.policy).join(',') ?? '';
  return { now: s.now, engine: s.engine, safeMode: s.safeMode, images: s.images, statuses: s.statuses, labels: imageLabels(s.lastObservation), diskBudgets: budgets };
}

/**
 * The node's `disk`: the data root's usage from the last pass (one statfs each pass, budget or
 * not), with `plan -o json`'s disk fields when a budget applies. No /system/df is asked for it
 * (the unique sizes are the pass's, when it had them). Null before the first measurement, or when
 * nothing could be measured (a remote engine without a byte budget).
 */
export function nodeDisk(rec: Reconciler): NodeDisk | null {
  const s = rec.snapshot();
  if (!s.disk) return null;
  const fs = s.disk.usage.fs;
  const plan = s.disk.budgets.length ? diskView(s, s.disk.budgets, s.images, rec.cachedImageBytes()) : null;
  if (!fs && !plan) return null;
  const { measuredAt: _at, path: _path, ...budget } = plan ?? {};
  return {
    path: fs?.path ?? null,
    usedBytes: fs?.usedBytes ?? null,
    totalBytes: fs?.totalBytes ?? null,
    usedRatio: fs ? Math.round(fs.usedPercent * 100) / 1e4 : null,
    ...budget,
  };
}
