/**
 * Managed images, the Zun case: `imagectl pull` and `imagectl pull --archive` bring an image in
 * through the agent (recorded as agentDownloaded) and `imagectl rmi` removes one the agent manages,
 * with its residual data. Each goes through the same executor and commit as the loop's own pulls and
 * removals: a pull's download record is committed by the pass it runs, and a removal is recorded
 * `removable` first and then goes through the one removal path (removals.ts).
 */
import type { Readable } from 'node:stream';
import { familiar, normalizeWithDefaultTag } from '../../crd/fields/reference.js';
import type { PersistedImage } from '../../statemachines/runtime.js';
import { loadRecorded, pullRecorded, type Loaded } from '../effects/download.js';
import { ArchiveError, type ArchiveContents } from '../effects/archives.js';
import { localImage } from '../effects/pull.js';
import type { ProgressItem } from '../effects/pull.js';
import type { DownloadRecord } from '../store/records.js';
import { tryCommit } from './conditions.js';
import type { Loop } from './loop.js';
import type { PassDeps } from './options.js';
import { applyEvent, type PassPlan } from './plan.js';
import { protectionsOf } from './protection.js';
import { executeRemovals } from './removals.js';
import type { LoopState } from './state.js';
import { noteDownloads } from './workload-pass.js';
import { DiskRoom } from './room.js';

export interface Commands {
  d: PassDeps;
  s: LoopState;
  loop: Loop;
}

/** Why `rmi` did not remove: the API answers each with its own status. */
export type RmiRefusal = 'safe-mode' | 'already-removed' | 'not-managed' | 'in-use' | 'needed-by-workload' | 'kept' | 'engine-in-use' | 'engine-refused' | 'failed';

export type RmiResult =
  | { ok: true; image: string; removed: string[]; residual: string[] }
  | { ok: false; refusal: RmiRefusal; message: string };

/** Disk room for a pull or load through the API: made between passes. */
const roomOf = (c: Commands) => (c.d.room instanceof DiskRoom ? c.d.room.between(c.loop) : c.d.room);

/** The downloads are committed by the pass that follows, with the machines they start. */
async function recordDownloads(c: Commands, downloads: [string, DownloadRecord][]): Promise<void> {
  await c.loop.exclusive(async () => noteDownloads(c.s, downloads));
  await c.loop.run('pull');
}

export async function pullManaged(c: Commands, ref: string, onItem?: (i: ProgressItem) => void): Promise<{ id: string; image: PersistedImage | undefined }> {
  const arriving = normalizeWithDefaultTag(ref);
  c.s.arriving.add(arriving);
  try {
    const pulled = await pullRecorded(c.d.docker, ref, `pull ${familiar(ref)}`, c.d.now, onItem, roomOf(c));
    await recordDownloads(c, [pulled.download]);
    return { id: pulled.id, image: c.s.images.get(pulled.id) };
  } finally {
    c.s.arriving.delete(arriving);
  }
}

/** `token`: a load's references are unknown until it ends, so every new image waits meanwhile (PassInput.arriving). */
export async function loadManaged(c: Commands, source: Readable, digest: string | undefined, name: string, token: string, declared?: number): Promise<Loaded> {
  c.s.arriving.add(token);
  try {
    const loaded = await loadRecorded(c.d.docker, c.d.archives, { stream: source, declared }, digest, `load ${name}`, c.d.now, (contents) => tagGuard(c, contents), roomOf(c));
    await recordDownloads(c, loaded.downloads);
    return loaded;
  } finally {
    c.s.arriving.delete(token);
  }
}

/**
 * A load never moves a tag off an image that is protected (kept, needed by a Workload, in use):
 * the engine would leave that image untagged, and the agent could then remove it.
 */
async function tagGuard(c: Commands, contents: ArchiveContents): Promise<void> {
  let containers: Awaited<ReturnType<Commands['d']['docker']['listContainers']>> | null = null;
  for (const img of contents.images) {
    for (const tag of img.tags) {
      const here = await localImage(c.d.docker, tag);
      if (!here || here.id === img.id) continue;
      containers ??= await c.d.docker.listContainers({ all: true });
      const usedBy = containers.filter((x) => x.ImageID === here.id).map((x) => (x.Names?.[0] ?? x.Id.slice(0, 12)).replace(/^\//, ''));
      const why = protectionsOf({ policies: c.s.selected, workloads: c.s.workloads, statuses: c.s.statuses }, { ...here, usedBy, inUse: usedBy.length > 0 });
      if (c.s.policySafeMode) why.push(`the agent is in safe mode (${c.s.policySafeMode.reason})`);
      if (why.length > 0) {
        throw new ArchiveError('ArchiveTagProtected', `the archive's tag ${tag} names image ${here.id} here, which is protected (${why.join('; ')}): loading would move the tag off it; nothing was loaded`);
      }
    }
  }
}

/** Why an image cannot be removed by name, or null. */
function refusal(s: LoopState, img: PersistedImage, ref: string): { refusal: RmiRefusal; message: string } | null {
  const id = img.context.id;
  if (s.safeMode) return { refusal: 'safe-mode', message: `the agent is in safe mode (${s.safeMode.reason}); nothing is removed until the store takes writes again` };
  if (s.policySafeMode) return { refusal: 'safe-mode', message: `the agent is in safe mode (${s.policySafeMode.reason}); nothing is removed until then` };
  if (img.state === 'removed') return { refusal: 'already-removed', message: `image ${ref} (${id}) was already removed` };
  if (!img.context.agentDownloaded) {
    return { refusal: 'not-managed', message: `image ${ref} is not managed by imagectl: it was discovered, not pulled or loaded by the agent. It is left alone; remove it with docker rmi, or let an ImagePolicy rule (agentDownloadedOnly: false) remove it` };
  }
  // every protection, named: a keep entry must not hide that a Workload needs the image, nor the reverse
  const why = protectionsOf({ policies: s.selected, workloads: s.workloads, statuses: s.statuses }, { ...img.context, inUse: img.state === 'in-use' });
  if (why.length === 0) return null;
  const refusal: RmiRefusal = img.state === 'in-use' ? 'in-use' : why.some((w) => w.startsWith('needed by workload')) ? 'needed-by-workload' : 'kept';
  return { refusal, message: `image ${ref} is protected: ${why.join('; ')}; nothing was removed` };
}

/** `imagectl rmi`: between passes, the image is recorded `removable` (write-ahead), then removed like any other. */
export function removeManaged(c: Commands, id: string, ref: string, actor: string): Promise<RmiResult> {
  const { d, s } = c;
  return c.loop.exclusive(async (): Promise<RmiResult> => {
    const img = s.images.get(id);
    if (!img) return { ok: false, refusal: 'already-removed', message: `image ${JSON.stringify(ref)} not found` };
    const no = refusal(s, img, ref);
    if (no) return { ok: false, ...no };
    const out: Pick<PassPlan, 'images' | 'changed' | 'audit'> = { images: new Map(s.images), changed: new Map(), audit: [] };
    applyEvent(out, img, { type: 'REMOVE_REQUESTED', now: d.now(), reason: `requested by imagectl rmi ${ref}` }, actor);
    if (!(await tryCommit(d, s, { putImages: out.changed, audit: out.audit }))) {
      return { ok: false, refusal: 'safe-mode', message: `the agent's store does not take writes (${s.safeMode?.reason ?? ''}); nothing was removed` };
    }
    s.images = out.images;
    const res = await executeRemovals(d, s, [id], actor, 'rmi');
    const outcome = res.outcomes.get(id)!;
    switch (outcome.kind) {
      case 'removed':
        return { ok: true, image: id, removed: [...outcome.untagged, outcome.deleted], residual: res.residual };
      case 'gone':
        return { ok: true, image: id, removed: [], residual: res.residual };
      case 'in-use':
        return { ok: false, refusal: 'engine-in-use', message: `image ${ref} is in use: ${outcome.error}; nothing was removed` };
      case 'refused':
        return { ok: false, refusal: 'engine-refused', message: `the engine refused to remove ${ref}: ${outcome.error}; no container uses it; nothing was removed, every tag is back` };
      case 'failed':
        return { ok: false, refusal: 'failed', message: `removal of ${ref} failed: ${outcome.error}; tags were restored` };
    }
  });
}
