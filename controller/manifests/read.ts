/**
 * Reading the `--manifests` directory: its manifest files (not its subdirectories), in name order,
 * each capped in size. Files are opened non-blocking and measured before they are read, so a FIFO
 * or a device among them is reported instead of waiting for input that never comes.
 */
import { constants } from 'node:fs';
import { open, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { inputError, ioMessage, isManifestName, MAX_FILE_BYTES, tooLarge, type FileInput } from '../../crd/input.js';

/** The directory's manifest files as parser inputs, or why the directory cannot be read. */
export async function readManifestDir(dir: string): Promise<FileInput[] | { error: string }> {
  let names: string[];
  try {
    if (!(await stat(dir)).isDirectory()) return { error: `${dir}: not a directory` };
    names = (await readdir(dir)).filter(isManifestName).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  } catch (err) {
    return { error: `${dir}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such directory' : (err as Error).message}` };
  }
  const out: FileInput[] = [];
  for (const name of names) {
    const file = join(dir, name);
    const st = await stat(file).catch(() => undefined);
    if (st?.isDirectory() || !st) continue; // a subdirectory or a dangling symlink is not a manifest
    out.push(await readRegular(file));
  }
  return out;
}

async function readRegular(file: string): Promise<FileInput> {
  let fh;
  try {
    fh = await open(file, constants.O_RDONLY | constants.O_NONBLOCK);
    const st = await fh.stat();
    if (!st.isFile()) return { file, error: inputError(file, 'not a regular file') };
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
