/** What keeps images from removal besides the policies, and the plan as a preview. Pure. */
import type { ImagePolicy } from '../../crd/imagepolicy/type.js';
import type { Workload } from '../../crd/workload/type.js';
import { compilePolicies } from '../../crd/imagepolicy/match.js';
import { refParts } from '../workloads/decide.js';
import type { WorkloadStatus } from '../workloads/executor.js';
import { planPass, type PassPlan } from './plan.js';
import type { LoopSnapshot } from './state.js';

/** Image references and IDs that workloads need: protected from removal. */
export function workloadProtection(workloads: readonly Workload[], statuses: ReadonlyMap<string, WorkloadStatus>): { refs: Map<string, string>; ids: Map<string, string> } {
  const refs = new Map<string, string>();
  const ids = new Map<string, string>();
  for (const w of workloads) {
    try {
      const p = refParts(w.spec.image);
      refs.set(p.pullRef, w.metadata.name);
      if (p.tagRef) refs.set(p.tagRef, w.metadata.name);
    } catch {
      // validated on apply
    }
    const st = statuses.get(`Workload/${w.metadata.name}`);
    if (st?.imageId) ids.set(st.imageId, w.metadata.name);
  }
  return { refs, ids };
}

/** The pure plan for a snapshot and `policies`, without acting (plan, server dry run); null before the first observation. */
export function previewPlan(snap: LoopSnapshot, policies: readonly ImagePolicy[] = snap.policies, now = snap.now): PassPlan | null {
  if (!snap.lastObservation) return null;
  const protection = workloadProtection(snap.workloads, snap.statuses);
  return planPass({
    policies: compilePolicies([...policies]), observed: snap.lastObservation, persisted: snap.images, downloads: snap.downloads,
    workloadRefs: protection.refs, workloadIds: protection.ids, refused: snap.refused, now,
  });
}
