/**
 * The one way an image comes in, whoever asked (a Workload, `imagectl pull`, `imagectl pull
 * --archive`): pull it or load an archive, and say what the agent downloaded. The download records
 * are committed by the next pass, with the machines they start.
 */
import type { Readable } from 'node:stream';
import type { EngineClient } from '../engine/client.js';
import type { DownloadRecord } from '../store/records.js';
import { importArchive, loadCached, type ArchiveStore } from './archives.js';
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

/** Load an archive (a stream, or a manifest's archive path), cached as the images' residual data. */
export async function loadRecorded(
  docker: EngineClient,
  archives: ArchiveStore,
  from: { stream: Readable } | { archive: string },
  expected: string | undefined,
  via: string,
  now: () => number,
  room?: PullRoom,
): Promise<Loaded> {
  const before = room && ((bytes: number) => room.forLoad(via, bytes));
  const loaded = 'archive' in from ? await importArchive(archives, docker, from.archive, expected, before) : await loadCached(archives, docker, from.stream, expected, before);
  const ids = new Set<string>();
  for (const ref of loaded.refs) {
    const img = await localImage(docker, ref);
    if (img) ids.add(img.id);
  }
  const at = now();
  return { ...loaded, ids: [...ids], downloads: [...ids].map((id) => [id, { at, via, residual: [loaded.cachePath] }]) };
}
