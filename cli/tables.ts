/** The default columns of `get` for each resource (`-o wide` adds some). */
import type { ImageItem } from '../crd/api/image.js';
import type { ImagePolicy } from '../crd/imagepolicy/type.js';
import { ago, bytes, shortDuration, shortId, until } from './output.js';
import type { ResourceName } from './resources.js';

export type PolicyItem = ImagePolicy & { metadata: { creationTimestamp?: string }; status: { appliesToNode: boolean; reason: string } };

export interface WorkloadItem {
  metadata: { name: string; creationTimestamp?: string; labels?: Record<string, string> };
  spec: { image: string; imagePullPolicy?: string; refreshImage?: number; restart?: number; purge?: number };
  status: { phase: string; reason: string; message: string; imageId?: string | null; resolvedDigest?: string | null; containerName?: string; containerId?: string | null; conditions?: { type: string; status: string }[] };
}

export interface Columns {
  headers: string[];
  rows: string[][];
}

const age = (t: string | undefined) => (t ? shortDuration(Date.now() - Date.parse(t)) : '<unknown>');

function workloadColumns(items: WorkloadItem[], wide: boolean): Columns {
  const headers = ['NAME', 'IMAGE', 'PHASE', 'REASON', 'DIGEST', 'AGE', ...(wide ? ['IMAGE ID', 'CONTAINER', 'PULL POLICY', 'MESSAGE'] : [])];
  const rows = items.map((w) => [
    w.metadata.name,
    w.spec.image,
    w.status.phase,
    w.status.reason || '<none>',
    w.status.resolvedDigest ? w.status.resolvedDigest.slice(0, 19) : '<none>',
    age(w.metadata.creationTimestamp),
    ...(wide ? [w.status.imageId ? shortId(w.status.imageId) : '<none>', w.status.containerName ?? '<none>', w.spec.imagePullPolicy ?? 'default', w.status.message] : []),
  ]);
  return { headers, rows };
}

function imageColumns(items: ImageItem[], wide: boolean): Columns {
  const headers = ['IMAGE ID', 'TAGS', 'STATE', 'LAST USED', 'RULE', 'REMOVE AT', 'SIZE', ...(wide ? ['UNIQUE SIZE', 'DOWNLOADED', 'PROTECTED BY', 'USED BY', 'DIGESTS'] : [])];
  const rows = items.map((i) => {
    const s = i.status;
    return [
      shortId(i.metadata.name),
      s.tags.join(',') || '<none>',
      s.state,
      s.state === 'in-use' ? 'now' : ago(s.lastUsedAt),
      s.rule ?? '<none>',
      s.protectedBy ? 'never' : until(s.removeAt),
      bytes(s.sizeBytes),
      ...(wide ? [s.uniqueSizeBytes == null ? '<unknown>' : bytes(s.uniqueSizeBytes), s.agentDownloaded ? 'agent' : 'discovered', s.protectedBy ?? '<none>', s.usedBy.join(',') || '<none>', s.repoDigests.join(',') || '<none>'] : []),
    ];
  });
  return { headers, rows };
}

function policyColumns(items: PolicyItem[], wide: boolean): Columns {
  const headers = ['NAME', 'RULES', 'KEEP', 'APPLIES', 'AGE', ...(wide ? ['SELECTOR REASON', 'LABELS'] : [])];
  const rows = items.map((p) => [
    p.metadata.name,
    String(p.spec.removal?.length ?? 0),
    String(p.spec.keep?.length ?? 0),
    p.status.appliesToNode ? 'yes' : 'no',
    age(p.metadata.creationTimestamp),
    ...(wide ? [p.status.reason, Object.entries(p.metadata.labels ?? {}).map(([k, v]) => `${k}=${v}`).join(',') || '<none>'] : []),
  ]);
  return { headers, rows };
}

/** The table of `items` of one resource. */
export function columnsOf(resource: ResourceName, items: unknown[], wide: boolean): Columns {
  if (resource === 'images') return imageColumns(items as ImageItem[], wide);
  if (resource === 'workloads') return workloadColumns(items as WorkloadItem[], wide);
  return policyColumns(items as PolicyItem[], wide);
}
