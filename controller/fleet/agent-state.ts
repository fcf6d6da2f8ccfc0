/**
 * What the fleet reads of the agent's loop, in one place: the reconciler's images, workload
 * statuses, engine state and safe mode at one moment (the shape of a subset of the loop's
 * snapshot), and the engine's data root. The status writer reads only this.
 */
import type { PersistedImage } from '../../statemachines/runtime.js';
import type { EngineClient } from '../engine/client.js';
import type { EngineStatus, Reconciler, SafeMode } from '../reconcile/reconciler.js';
import type { WorkloadStatus } from '../workloads/executor.js';

export interface AgentState {
  now: number;
  engine: EngineStatus;
  safeMode: SafeMode | null;
  images: ReadonlyMap<string, PersistedImage>;
  statuses: ReadonlyMap<string, WorkloadStatus>;
}

export function agentState(rec: Reconciler): AgentState {
  const s = rec.snapshot();
  return { now: s.now, engine: s.engine, safeMode: s.safeMode, images: s.images, statuses: s.statuses };
}

/** The engine's data root (`docker info`'s DockerRootDir), or null. */
export async function engineDataRoot(docker: EngineClient): Promise<string | null> {
  return (await docker.info()).DockerRootDir ?? null;
}
