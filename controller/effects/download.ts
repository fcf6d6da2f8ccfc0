/**
 * The one way an image comes in, whoever asked (a Workload, `imagectl pull`, `imagectl pull
 * --archive`): pull it or load an archive, and say what the agent downloaded. The download records
 * are committed by the next pass, with the machines they start.
 */
import type { Readable } from 'node:stream';
import type { EngineClient } from '../engine/client.js';
import type { DownloadRecord } from '../store/records.js';
import { importArchive, loadCached, removeResidual, type ArchiveStore, type BeforeLoad } from './archives.js';
import { withRoom, type PullRoom } from './disk-room.js';
import { localImage, pullImage, type ProgressItem } from './pull.js';

export interface Pulled {
  id: string;
  download: [string, DownloadRecord];
}

export interface Loaded {
  refs: string[];
  /** the image IDs the loaded references name */
  ids: string[];
  cachePath: string;
  digest: string;
  downloads: [string, DownloadRecord][];
}

/** Pull `ref`; `via` says who asked (`pull REF`, `workload NAME`); `room`: disk room is made first (disk pressure). */
export async function pullRecorded(docker: EngineClient, ref: string, via: string, now: () => number, onItem?: (i: ProgressItem) => void, room?: PullRoom): Promise<Pulled> {
  const id = await withRoom(room, ref, () => pullImage(docker, ref, onItem));
  return { id, download: [id, { at: now(), via }] };
}

/**
 * Load an archive (a stream with its declared size, or a manifest's archive path), cached as the
 * images' residual data. Only images that were not on the device before are the agent's
 * downloads (spec §2): loading one that was there does not adopt it. `guard` may refuse the load
 * once the archive's contents are known, before the engine sees it.
 */
export async function loadRecorded(
  docker: EngineClient,
  archives: ArchiveStore,
  from: { stream: Readable; declared?: number } | { archive: string },
  expected: string | undefined,
  via: string,
  now: () => number,
  guard?: BeforeLoad,
  room?: PullRoom,
): Promise<Loaded> {
  const present = new Set<string>();
  const beforeLoad: BeforeLoad = async (contents) => {
    await guard?.(contents);
    for (const img of contents.images) if (await localImage(docker, img.id)) present.add(img.id);
  };
  const forLoad = room && ((bytes: number) => room.forLoad(via, bytes));
  const loaded = 'archive' in from
    ? await importArchive(archives, docker, from.archive, expected, beforeLoad, forLoad)
    : await loadCached(archives, docker, from.stream, expected, from.declared, beforeLoad, forLoad);
  const ids = new Set<string>();
  for (const ref of loaded.refs) {
    const img = await localImage(docker, ref);
    if (img) ids.add(img.id);
  }
  const fresh = [...ids].filter((id) => !present.has(id));
  // nothing new came in: the cached copy is nobody's residual (unless it was already cached)
  if (fresh.length === 0 && !loaded.cachedBefore) await removeResidual(archives, [loaded.cachePath]);
  const at = now();
  return { ...loaded, ids: [...ids], downloads: fresh.map((id) => [id, { at, via, residual: [loaded.cachePath] }]) };
}
