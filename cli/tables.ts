/** The default columns of `get` for each resource (`-o wide` adds some). */
import type { ImageItem } from '../crd/api/image.js';
import type { ImagePolicy } from '../crd/imagepolicy/type.js';
import type { NodeDisk } from '../crd/fleet/node-status.js';
import { nodeDiskCell } from './disk.js';
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

const labelText = (l: Record<string, string> | undefined) => Object.entries(l ?? {}).map(([k, v]) => `${k}=${v}`).join(',') || '<none>';

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

/** `fleet`: the images across devices, a NODE column first (SPEC §10) */
function imageColumns(items: ImageItem[], wide: boolean, fleet: boolean): Columns {
  const headers = [...(fleet ? ['NODE'] : []), 'IMAGE ID', 'TAGS', 'STATE', 'LAST USED', 'RULE', 'REMOVE AT', 'SIZE', ...(wide ? ['UNIQUE SIZE', 'DOWNLOADED', 'PROTECTED BY', 'USED BY', 'DIGESTS'] : [])];
  const rows = items.map((i) => {
    const s = i.status;
    return [
      ...(fleet ? [(s as { node?: string }).node ?? '<none>'] : []),
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
    ...(wide ? [p.status.reason, labelText(p.metadata.labels)] : []),
  ]);
  return { headers, rows };
}

/** A fleet's node, as `--fleet get nodes -o json` lists it (crd/fleet/node-status.ts NodeItem). */
export interface NodeRow {
  metadata: { name: string; labels: Record<string, string> };
  status: { ready: boolean; reason: string; lastSeen: string; appliedRevision: number | null; images: { status: { state: string } }[]; workloads: unknown[]; disk: NodeDisk | null };
}

function nodeColumns(items: NodeRow[], wide: boolean): Columns {
  const headers = ['NAME', 'STATUS', 'REVISION', 'IMAGES', 'WORKLOADS', 'LAST SEEN', ...(wide ? ['DISK', 'REASON', 'LABELS'] : [])];
  const rows = items.map((n) => [
    n.metadata.name,
    n.status.ready ? 'Ready' : 'NotReady',
    n.status.appliedRevision === null ? '<none>' : String(n.status.appliedRevision),
    String(n.status.images.filter((i) => i.status.state !== 'removed').length),
    String(n.status.workloads.length),
    ago(n.status.lastSeen),
    ...(wide ? [nodeDiskCell(n.status.disk), n.status.reason, labelText(n.metadata.labels)] : []),
  ]);
  return { headers, rows };
}

/** The table of `items` of one resource (`fleet`: the images across a fleet's devices). */
export function columnsOf(resource: { name: ResourceName; fleet?: boolean }, items: unknown[], wide: boolean): Columns {
  if (resource.name === 'images') return imageColumns(items as ImageItem[], wide, resource.fleet ?? false);
  if (resource.name === 'workloads') return workloadColumns(items as WorkloadItem[], wide);
  if (resource.name === 'nodes') return nodeColumns(items as NodeRow[], wide);
  return policyColumns(items as PolicyItem[], wide);
}
