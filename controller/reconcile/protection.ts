/** What keeps images from removal besides the policies, and the plan as a preview. Pure. */
import type { ImagePolicy } from '../../crd/imagepolicy/type.js';
import type { Workload } from '../../crd/workload/type.js';
import { candidates, compilePolicies, matchingKeeps } from '../../crd/imagepolicy/match.js';
import type { PersistedImage } from '../../statemachines/runtime.js';
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

/** What the reconciler holds that protects images: its selected policies, Workloads and their statuses. */
export interface ProtectionInput {
  policies: readonly ImagePolicy[];
  workloads: readonly Workload[];
  statuses: ReadonlyMap<string, WorkloadStatus>;
}

/**
 * Every reason the planner knows that an image must not go, all of them (the planner's own
 * `protectedBy` names only the first): a `keep` entry, a Workload that needs it, a container that
 * uses it. `rmi` and a load that would move a tag off an image both ask this.
 */
export function protectionsOf(p: ProtectionInput, img: Pick<PersistedImage['context'], 'id' | 'tags' | 'repoDigests' | 'usedBy'> & { inUse: boolean }): string[] {
  const out: string[] = [];
  const subject = { tags: img.tags, repoDigests: img.repoDigests, agentDownloaded: true };
  for (const k of matchingKeeps(compilePolicies([...p.policies]), subject)) out.push(`kept by ${k.id} (${k.pattern.source})`);
  const w = workloadProtection(p.workloads, p.statuses);
  const names = new Set<string>();
  const byId = w.ids.get(img.id);
  if (byId) names.add(byId);
  for (const c of candidates(img.tags, img.repoDigests)) {
    const n = w.refs.get(c);
    if (n) names.add(n);
  }
  for (const n of names) out.push(`needed by workload ${n}`);
  if (img.inUse) out.push(`in use by ${img.usedBy.join(', ') || 'a container'}`);
  return out;
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
