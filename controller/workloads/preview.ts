/**
 * What applying a set would do to the Workloads' containers and images: the server dry run's
 * preview. It asks the decision functions the executor acts on (decide.ts) with what the agent
 * knows (the observed images and containers, the statuses, its default pull policy), so it
 * predicts what the agent then does.
 */
import type { PullPolicy, Workload } from '../../crd/workload/type.js';
import type { ApplyPlan } from '../../crd/apply/applyset.js';
import type { StoredObject } from '../../crd/api/object.js';
import type { WorkloadPreview } from '../../crd/api/preview.js';
import type { ObservedContainer, ObservedImage } from '../engine/observation.js';
import { containerAction, decideWorkload, findLocal, imageStep, localRef, pinnedLocal, refParts, type ContainerAction, type ImageStep, type WorkloadDecision } from './decide.js';
import { LABEL_MANAGED, LABEL_SPEC_HASH, LABEL_WORKLOAD, type WorkloadStatus } from './executor.js';

/** What the agent knows that the decisions depend on. */
export interface PreviewContext {
  images: readonly ObservedImage[];
  containers: readonly ObservedContainer[];
  statuses: ReadonlyMap<string, WorkloadStatus>;
  defaultPullPolicy: PullPolicy;
}

/** a stand-in for the ID of an image that is not here yet: a container on it is a new one */
const ARRIVING = 'sha256:(arriving)';

export function previewWorkloads(live: readonly StoredObject[], plan: Pick<ApplyPlan, 'puts' | 'deletes'>, ctx: PreviewContext): WorkloadPreview[] {
  const before = new Set(live.filter((o) => o.kind === 'Workload').map((o) => o.metadata.name));
  const out: WorkloadPreview[] = [];
  for (const p of plan.puts) if (p.kind === 'Workload') out.push(previewOne(p, before.has(p.metadata.name), ctx));
  for (const d of plan.deletes) {
    if (d.kind === 'Workload') out.push({ workload: d.name, container: 'remove', image: 'none', reason: 'pruned' });
  }
  return out;
}

function previewOne(w: Workload, known: boolean, ctx: PreviewContext): WorkloadPreview {
  const name = w.metadata.name;
  const existing = ctx.containers.find((c) => c.labels[LABEL_MANAGED] === 'true' && c.labels[LABEL_WORKLOAD] === name);
  const dec = decideWorkload(w, ctx.statuses.get(`Workload/${name}`), existing && { specHash: existing.labels[LABEL_SPEC_HASH] }, ctx.defaultPullPolicy);
  const parts = refParts(w.spec.image);
  const local = findLocal(ctx.images, localRef(parts));
  const force = dec.raised.refresh || dec.raised.purge;
  const image: ImageStep = dec.needCheck ? imageStep({ archive: !!w.spec.archive, policy: dec.policy, local: local !== null, pinnedLocal: pinnedLocal(local, parts), force }) : 'none';
  // the image the container would run: the local copy, or one that arrives (a failed image changes nothing)
  const imageId = image === 'missing' ? existing?.imageId : image === 'none' || image === 'resolve' ? (local?.id ?? existing?.imageId) : ARRIVING;
  const action = image === 'missing' && existing ? 'none' : containerAction(existing && { imageId: existing.imageId, state: existing.state, specHash: existing.labels[LABEL_SPEC_HASH] }, imageId ?? ARRIVING, dec.hash, dec.raised);
  let reason = containerReason(action, w, known, dec);
  if (image === 'missing') reason += `; imagePullPolicy Never and ${w.spec.image} is not present: the workload would fail`;
  if (image === 'resolve') reason += `; imagePullPolicy ${dec.policy}${force ? ' and a raised counter' : ''}: the registry digest is resolved and pulled only if it differs`;
  return { workload: name, container: action, image, reason };
}

function containerReason(action: ContainerAction, w: Workload, known: boolean, dec: WorkloadDecision): string {
  switch (action) {
    case 'create':
      return known ? 'its container does not exist yet' : 'new workload';
    case 'purge':
      return `purge raised to ${w.spec.purge}`;
    case 'recreate':
      return dec.specChanged ? 'the container spec changed' : 'a new image';
    case 'restart':
      return `restart raised to ${w.spec.restart}`;
    case 'start':
      return 'its container was created but not started';
    case 'none':
      return dec.raised.refresh ? `refreshImage raised to ${w.spec.refreshImage}: restarted only if a new image arrives` : 'no change to the container';
  }
}
