/**
 * Offline images: `docker save` tarballs. The agent copies an archive into its cache (verifying its
 * digest while copying), loads it, and records the cached copy as the image's residual data, which
 * is removed together with the image (the Zun case: no residue left behind).
 * Manifest archive paths must resolve inside the allowed archive directories; nothing outside them
 * is read.
 */
import { createHash, randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, realpath, rename, rm, stat } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Transform, type Readable } from 'node:stream';
import type { EngineClient } from '../engine/client.js';
import { loadArchive } from './pull.js';

export interface ArchiveStore {
  /** where cached copies live: `<state-dir>/cache/archives` */
  cacheDir: string;
  /** directories manifest `archive:` paths may point into; relative paths resolve against the first */
  roots: string[];
}

export class ArchiveError extends Error {
  constructor(readonly reason: string, message: string) {
    super(message);
  }
}

const inside = (dir: string, p: string) => {
  const r = relative(dir, p);
  return r === '' || (!r.startsWith('..') && !isAbsolute(r) && !r.startsWith(`..${sep}`));
};

/** Resolve a manifest's archive path; it must stay inside one of the roots (after symlinks). */
export async function resolveArchivePath(store: ArchiveStore, p: string): Promise<string> {
  if (store.roots.length === 0) throw new ArchiveError('ArchiveNotAllowed', 'no archive directory is configured (--archive-dir)');
  const candidate = isAbsolute(p) ? resolve(p) : resolve(store.roots[0]!, p);
  let real: string;
  try {
    real = await realpath(candidate);
  } catch {
    throw new ArchiveError('ArchiveNotFound', `archive ${p} not found (looked at ${candidate})`);
  }
  for (const root of store.roots) {
    const realRoot = await realpath(root).catch(() => resolve(root));
    if (inside(realRoot, real)) return real;
  }
  throw new ArchiveError('ArchiveOutsideRoots', `archive ${p} resolves to ${real}, outside the archive directories (${store.roots.join(', ')})`);
}

/** Copy a stream into the cache while hashing it; verify the digest; return the cached path. */
export async function cacheArchive(store: ArchiveStore, source: Readable, expected?: string): Promise<{ path: string; digest: string }> {
  await mkdir(store.cacheDir, { recursive: true, mode: 0o700 });
  const tmp = join(store.cacheDir, `.incoming-${randomUUID()}.tar`);
  const hash = createHash('sha256');
  const tap = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      hash.update(chunk);
      cb(null, chunk);
    },
  });
  try {
    await pipeline(source, tap, createWriteStream(tmp, { mode: 0o600 }));
  } catch (err) {
    await rm(tmp, { force: true });
    throw new ArchiveError('ArchiveUnreadable', `cannot read the archive: ${(err as Error).message}`);
  }
  const digest = `sha256:${hash.digest('hex')}`;
  if (expected && expected !== digest) {
    await rm(tmp, { force: true });
    throw new ArchiveError('ArchiveDigestMismatch', `the archive's digest is ${digest}, expected ${expected}; nothing was loaded`);
  }
  const path = join(store.cacheDir, `${digest.slice(7)}.tar`);
  await rename(tmp, path);
  return { path, digest };
}

/** Before a load: room for the archive's bytes (disk pressure); resolves to the release of what it reserved. */
export type BeforeLoad = (bytes: number) => Promise<() => void>;

/** Cache and load an archive; returns what the engine loaded and the cached copy (residual data). */
export async function loadCached(store: ArchiveStore, docker: EngineClient, source: Readable, expected?: string, beforeLoad?: BeforeLoad): Promise<{ refs: string[]; cachePath: string; digest: string }> {
  const { path, digest } = await cacheArchive(store, source, expected);
  let release: () => void = () => undefined;
  try {
    if (beforeLoad) release = await beforeLoad((await stat(path)).size);
  } catch (err) {
    await rm(path, { force: true });
    throw err;
  }
  try {
    return { refs: await loadArchive(docker, path), cachePath: path, digest };
  } catch (err) {
    await rm(path, { force: true });
    throw new ArchiveError('ArchiveLoadFailed', `docker load failed: ${(err as Error).message}`);
  } finally {
    release();
  }
}

export async function importArchive(store: ArchiveStore, docker: EngineClient, p: string, expected?: string, beforeLoad?: BeforeLoad) {
  const file = await resolveArchivePath(store, p);
  return loadCached(store, docker, createReadStream(file), expected, beforeLoad);
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
