/**
 * Reading the `--manifests` directory: its manifest files (not its subdirectories), in name order,
 * each capped in size. Only regular files inside the directory are read: a FIFO, a device or a
 * socket, and a symlink that leaves the directory (a Git checkout can carry one, to a FIFO or to a
 * root-only file), are refused entries, reported and never opened. Files are opened non-blocking and
 * without following a symlink, and measured (fstat of what was opened, which must be what was
 * checked) before they are read, so no entry can make the reader wait for input that never comes or
 * hold a thread of libuv's pool.
 */
import { constants, type Stats } from 'node:fs';
import { lstat, open, readdir, realpath, stat } from 'node:fs/promises';
import { join, relative, isAbsolute } from 'node:path';
import { inputError, ioMessage, isManifestName, MAX_FILE_BYTES, tooLarge, type FileInput } from '../../crd/input.js';

/** An entry of the directory that was not read, and why. */
export interface RefusedEntry {
  file: string;
  reason: string;
}

export interface ManifestDir {
  files: FileInput[];
  refused: RefusedEntry[];
}

const OPEN_FLAGS = constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOFOLLOW;

function kind(st: Stats): string {
  if (st.isFIFO()) return 'a FIFO';
  if (st.isSocket()) return 'a socket';
  if (st.isCharacterDevice() || st.isBlockDevice()) return 'a device';
  return 'not a regular file';
}

const insideDir = (root: string, p: string) => {
  const r = relative(root, p);
  return r !== '' && !r.startsWith('..') && !isAbsolute(r);
};

/** The directory's manifest files as parser inputs, its refused entries, or why it cannot be read. */
export async function readManifestDir(dir: string): Promise<ManifestDir | { error: string }> {
  let names: string[];
  let root: string;
  try {
    if (!(await stat(dir)).isDirectory()) return { error: `${dir}: not a directory` };
    root = await realpath(dir);
    names = (await readdir(dir)).filter(isManifestName).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  } catch (err) {
    return { error: `${dir}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such directory' : (err as Error).message}` };
  }
  const out: ManifestDir = { files: [], refused: [] };
  for (const name of names) {
    const file = join(dir, name);
    const entry = await entryOf(root, file);
    if (entry === null) continue; // a subdirectory or a dangling symlink is not a manifest
    if ('reason' in entry) {
      out.refused.push({ file, reason: entry.reason });
      out.files.push({ file, error: inputError(file, `refused: ${entry.reason}`) });
    } else out.files.push(await readRegular(file, entry.path, entry.st));
  }
  return out;
}

/** What to read for one entry (the path, confined, and what it must be), a refusal, or null to skip it. */
async function entryOf(root: string, file: string): Promise<{ path: string; st: Stats } | { reason: string } | null> {
  const own = await lstat(file).catch(() => undefined);
  if (!own || own.isDirectory()) return null;
  let path = file;
  let st = own;
  if (own.isSymbolicLink()) {
    const target = await realpath(file).catch(() => undefined);
    if (target === undefined) return null;
    if (!insideDir(root, target)) return { reason: 'a symlink that leaves the directory (not followed)' };
    const t = await lstat(target).catch(() => undefined);
    if (!t || t.isDirectory()) return null;
    path = target;
    st = t;
  }
  return st.isFile() ? { path, st } : { reason: `${kind(st)} (only regular files are read)` };
}

async function readRegular(file: string, path: string, checked: Stats): Promise<FileInput> {
  let fh;
  try {
    fh = await open(path, OPEN_FLAGS);
    const st = await fh.stat();
    // the entry was replaced between the check and the open: read it at the next sync
    if (!st.isFile() || st.ino !== checked.ino || st.dev !== checked.dev) return { file, error: inputError(file, 'changed while it was read') };
    if (st.size > MAX_FILE_BYTES) return { file, error: inputError(file, tooLarge(MAX_FILE_BYTES)) };
    const data = await fh.readFile();
    if (data.length > MAX_FILE_BYTES) return { file, error: inputError(file, tooLarge(MAX_FILE_BYTES)) };
    return { file, data };
  } catch (err) {
    return { file, error: inputError(file, ioMessage(err)) };
  } finally {
    await fh?.close().catch(() => undefined);
  }
}
