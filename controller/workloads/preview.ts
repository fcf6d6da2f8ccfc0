/**
 * What applying a set would do to the Workloads' containers and images (the server dry run's
 * preview), judged from the specs before and after and from which images the engine holds.
 */
import { isDeepStrictEqual } from 'node:util';
import type { WorkloadSpec } from '../../crd/workload/type.js';
import type { ApplyPlan } from '../../crd/apply/applyset.js';
import type { StoredObject } from '../../crd/api/object.js';
import type { WorkloadPreview } from '../../crd/api/preview.js';


/**
 * What applying a set would do to the Workloads' containers and images, judged from the specs
 * before and after and from which images the engine holds. The reconciler decides for real; this
 * is the preview `apply --dry-run=server` prints.
 */
export function previewWorkloads(
  live: readonly StoredObject[],
  plan: Pick<ApplyPlan, 'puts' | 'deletes'>,
  hasImage: (ref: string) => boolean,
  defaultPullPolicy: 'Always' | 'IfNotPresent' | 'Never' = 'Always',
): WorkloadPreview[] {
  const before = new Map(live.filter((o) => o.kind === 'Workload').map((o) => [o.metadata.name, o.spec]));
  const out: WorkloadPreview[] = [];
  for (const p of plan.puts) {
    if (p.kind !== 'Workload') continue;
    const spec = p.spec;
    const old = before.get(p.metadata.name);
    const policy = spec.imagePullPolicy ?? (spec.archive ? 'IfNotPresent' : defaultPullPolicy);
    const present = hasImage(spec.image);
    const image: WorkloadPreview['image'] = spec.archive
      ? present && policy !== 'Always' ? 'none' : 'load'
      : policy === 'Always' ? (present ? 'resolve' : 'pull') : present ? 'none' : policy === 'Never' ? 'missing' : 'pull';
    const shape = (s: WorkloadSpec) => [s.image, s.command ?? null, s.env ?? {}, s.archive ?? null, s.archiveDigest ?? null];
    let container: WorkloadPreview['container'];
    let reason: string;
    if (!old) [container, reason] = ['create', 'new workload'];
    else if ((spec.purge ?? 0) > (old.purge ?? 0)) [container, reason] = ['purge', `purge raised to ${spec.purge}`];
    else if (!isDeepStrictEqual(shape(spec), shape(old))) [container, reason] = ['recreate', 'the container spec changed'];
    else if ((spec.restart ?? 0) > (old.restart ?? 0)) [container, reason] = ['restart', `restart raised to ${spec.restart}`];
    else if ((spec.refreshImage ?? 0) > (old.refreshImage ?? 0)) [container, reason] = ['none', `refreshImage raised to ${spec.refreshImage}: restarted only if a new image arrives`];
    else [container, reason] = ['none', 'no change to the container'];
    if (image === 'missing') reason += `; imagePullPolicy Never and ${spec.image} is not present: the workload would fail`;
    if (image === 'resolve') reason += `; imagePullPolicy Always: the registry digest is resolved and pulled only if it differs`;
    out.push({ workload: p.metadata.name, container, image, reason });
  }
  for (const d of plan.deletes) {
    if (d.kind === 'Workload') out.push({ workload: d.name, container: 'remove', image: 'none', reason: 'pruned' });
  }
  return out;
}
