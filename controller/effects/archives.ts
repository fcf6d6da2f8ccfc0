/**
 * Offline images: `docker save` tarballs. The agent copies an archive into its cache (verifying its
 * digest while copying), loads it, and records the cached copy as the image's residual data, which
 * is removed together with the image (the Zun case: no residue left behind).
 * Manifest archive paths must resolve inside the allowed archive directories; nothing outside them
 * is read, and a path outside is "not allowed" whatever is there (no existence or symlink target
 * told). What is cached is bounded before and while it is written: the archive's size
 * (`maxBytes`), the free space of the cache's file system, and what its layers expand to in the
 * engine (`maxExpandedBytes`, tar-inspect.ts).
 */
import { createHash, randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream, ReadStream } from 'node:fs';
import { lstat, mkdir, realpath, rename, rm, stat, statfs } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { PassThrough, Transform, type Readable } from 'node:stream';
import type { EngineClient } from '../engine/client.js';
import { loadArchive } from './pull.js';
import { TarInspector, TarLimitError, type ArchiveContents } from './tar-inspect.js';

export type { ArchiveContents } from './tar-inspect.js';

export interface ArchiveStore {
  /** where cached copies live: `<state-dir>/cache/archives` */
  cacheDir: string;
  /** directories manifest `archive:` paths may point into; relative paths resolve against the first */
  roots: string[];
  /** the largest archive taken, bytes (--max-archive-bytes) */
  maxBytes?: number;
  /** the most its layers may expand to, uncompressed, bytes (--max-archive-expanded-bytes) */
  maxExpandedBytes?: number;
}

export const DEFAULT_MAX_ARCHIVE_BYTES = 4 * 1024 ** 3;
export const DEFAULT_MAX_ARCHIVE_EXPANDED_BYTES = 16 * 1024 ** 3;
/** Free space left on the cache's file system after an archive: 64 MiB, or 5% of a smaller one. */
const reserveOf = (fsBytes: number) => Math.min(64 * 1024 * 1024, Math.floor(fsBytes * 0.05));
/** How often (bytes written) the free space is measured again while an archive streams in. */
const RECHECK_BYTES = 16 * 1024 * 1024;

export class ArchiveError extends Error {
  constructor(readonly reason: string, message: string) {
    super(message);
  }
}

const inside = (dir: string, p: string) => {
  const r = relative(dir, p);
  return r === '' || (!r.startsWith('..') && !isAbsolute(r) && !r.startsWith(`..${sep}`));
};

/**
 * Resolve a manifest's archive path; it must stay inside one of the roots, as written and after
 * symlinks. Anything else is only "not allowed": whether something exists out there, or where a
 * symlink points, is not told.
 */
export async function resolveArchivePath(store: ArchiveStore, p: string): Promise<string> {
  if (store.roots.length === 0) throw new ArchiveError('ArchiveNotAllowed', 'no archive directory is configured (--archive-dir)');
  const notAllowed = new ArchiveError('ArchiveOutsideRoots', `archive ${p} is not allowed: only files in the archive directories (${store.roots.join(', ')}) are read`);
  const candidate = isAbsolute(p) ? resolve(p) : resolve(store.roots[0]!, p);
  const realRoots = await Promise.all(store.roots.map((r) => realpath(r).catch(() => resolve(r))));
  if (!store.roots.some((r, i) => inside(resolve(r), candidate) || inside(realRoots[i]!, candidate))) throw notAllowed;
  let real: string;
  try {
    real = await realpath(candidate);
  } catch {
    // inside the roots as written: missing, or a symlink to nowhere (which is not told apart from one that leaves)
    const own = await lstat(candidate).catch(() => undefined);
    if (own?.isSymbolicLink()) throw notAllowed;
    throw new ArchiveError('ArchiveNotFound', `archive ${p} not found in the archive directories`);
  }
  if (realRoots.some((root) => inside(root, real))) return real;
  throw notAllowed;
}

/** Free space of the file system holding `dir`, and what it keeps in reserve. */
async function freeSpace(dir: string): Promise<{ avail: number; reserve: number }> {
  const s = await statfs(dir);
  return { avail: s.bavail * s.bsize, reserve: reserveOf(s.blocks * s.bsize) };
}

const tooLarge = (max: number) => new ArchiveError('ArchiveTooLarge', `the archive is larger than ${max} bytes (agent flag --max-archive-bytes); nothing was loaded`);
const noRoom = (dir: string, need: number, avail: number) => new ArchiveError('InsufficientDisk', `not enough free space for the archive in ${dir}: ${need} bytes needed, ${avail} available (the agent keeps some free); nothing was loaded`);

/** Refuse before anything is written: an archive over the cap, or one that cannot fit. */
async function checkBefore(store: ArchiveStore, declared: number | undefined): Promise<void> {
  const max = store.maxBytes ?? DEFAULT_MAX_ARCHIVE_BYTES;
  if (declared !== undefined && declared > max) throw tooLarge(max);
  const { avail, reserve } = await freeSpace(store.cacheDir);
  if (avail - reserve < (declared ?? 0)) throw noRoom(store.cacheDir, declared ?? 0, Math.max(0, avail - reserve));
}

/** The tap an archive streams through: hash, size cap, free space, and what it expands to. */
function archiveTap(store: ArchiveStore, hash: ReturnType<typeof createHash>, inspector: TarInspector): Transform {
  const max = store.maxBytes ?? DEFAULT_MAX_ARCHIVE_BYTES;
  let bytes = 0;
  let nextCheck = RECHECK_BYTES;
  return new Transform({
    transform(chunk: Buffer, _enc, cb) {
      bytes += chunk.length;
      if (bytes > max) return cb(tooLarge(max));
      hash.update(chunk);
      const check = bytes < nextCheck ? Promise.resolve() : freeSpace(store.cacheDir).then(({ avail, reserve }) => {
        nextCheck = bytes + RECHECK_BYTES;
        if (avail < reserve) throw noRoom(store.cacheDir, bytes, 0);
      });
      check.then(() => inspector.push(chunk)).then(() => cb(null, chunk), cb);
    },
    flush(cb) {
      cb();
    },
  });
}

/**
 * Copy a stream into the cache while hashing it and reading what it holds; verify the digest;
 * return the cached path and the archive's contents. `declared`: its size, when known (checked
 * against the cap and the free space before anything is written).
 */
export async function cacheArchive(store: ArchiveStore, source: Readable, expected?: string, declared?: number): Promise<{ path: string; digest: string; contents: ArchiveContents; existed: boolean }> {
  await mkdir(store.cacheDir, { recursive: true, mode: 0o700 });
  await checkBefore(store, declared);
  const tmp = join(store.cacheDir, `.incoming-${randomUUID()}.tar`);
  const hash = createHash('sha256');
  const inspector = new TarInspector(store.maxExpandedBytes ?? DEFAULT_MAX_ARCHIVE_EXPANDED_BYTES);
  let contents: ArchiveContents;
  // the source is piped, not part of the pipeline: a refusal must not destroy an upload's request
  // (its answer still has to go out); what is left of it is read and dropped, a file is closed
  const inlet = new PassThrough();
  source.on('error', (err) => inlet.destroy(err));
  source.pipe(inlet);
  try {
    await pipeline(inlet, archiveTap(store, hash, inspector), createWriteStream(tmp, { mode: 0o600 }));
    contents = await inspector.finish();
  } catch (err) {
    source.unpipe(inlet);
    if (source instanceof ReadStream) source.destroy();
    else source.resume();
    await rm(tmp, { force: true });
    if (err instanceof ArchiveError) throw err;
    if (err instanceof TarLimitError) throw new ArchiveError(err.reason, err.message);
    if ((err as NodeJS.ErrnoException).code === 'ENOSPC') throw noRoom(store.cacheDir, declared ?? 0, 0);
    throw new ArchiveError('ArchiveUnreadable', `cannot read the archive: ${(err as Error).message}`);
  }
  const digest = `sha256:${hash.digest('hex')}`;
  if (expected && expected !== digest) {
    await rm(tmp, { force: true });
    throw new ArchiveError('ArchiveDigestMismatch', `the archive's digest is ${digest}, expected ${expected}; nothing was loaded`);
  }
  const path = join(store.cacheDir, `${digest.slice(7)}.tar`);
  const existed = await stat(path).then(() => true, () => false);
  await rename(tmp, path);
  return { path, digest, contents, existed };
}

/** Called with what an archive holds, after it is cached and before the engine loads it; may refuse (throw). */
export type BeforeLoad = (contents: ArchiveContents) => Promise<void>;

/** Before a load: room for the archive's bytes (disk pressure); resolves to the release of what it reserved. */
export type LoadRoom = (bytes: number) => Promise<() => void>;

/** Cache and load an archive; returns what the engine loaded and the cached copy (residual data). */
export async function loadCached(store: ArchiveStore, docker: EngineClient, source: Readable, expected?: string, declared?: number, beforeLoad?: BeforeLoad, room?: LoadRoom): Promise<{ refs: string[]; cachePath: string; digest: string; cachedBefore: boolean }> {
  const { path, digest, contents, existed } = await cacheArchive(store, source, expected, declared);
  let release: () => void = () => undefined;
  try {
    await beforeLoad?.(contents);
    if (room) release = await room((await stat(path)).size);
  } catch (err) {
    await rm(path, { force: true });
    throw err;
  }
  try {
    return { refs: await loadArchive(docker, path), cachePath: path, digest, cachedBefore: existed };
  } catch (err) {
    await rm(path, { force: true });
    throw new ArchiveError('ArchiveLoadFailed', `docker load failed: ${(err as Error).message}`);
  } finally {
    release();
  }
}

export async function importArchive(store: ArchiveStore, docker: EngineClient, p: string, expected?: string, beforeLoad?: BeforeLoad, room?: LoadRoom) {
  const file = await resolveArchivePath(store, p);
  return loadCached(store, docker, createReadStream(file), expected, (await stat(file)).size, beforeLoad, room);
}

/** Remove an image's residual data; only files inside the cache are ever removed. */
export async function removeResidual(store: ArchiveStore, paths: readonly string[]): Promise<void> {
  for (const p of paths) if (inside(resolve(store.cacheDir), resolve(p))) await rm(p, { force: true });
}

/** The residual files of `ids` that no other image's download record still refers to. */
export function orphanedResidual(downloads: ReadonlyMap<string, { residual?: string[] }>, ids: readonly string[]): string[] {
  const leaving = new Set(ids);
  const kept = new Set<string>();
  for (const [id, r] of downloads) if (!leaving.has(id)) for (const p of r.residual ?? []) kept.add(p);
  return [...new Set(ids.flatMap((id) => downloads.get(id)?.residual ?? []))].filter((p) => !kept.has(p));
}
