import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { open, readdir, realpath, stat, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { ManifestError } from '../crd/types.js';
import { inputError, ioMessage, isManifestName, tooLarge } from '../crd/input.js';

/** What one `-f` argument stands for. */
export type Source = { type: 'file'; path: string } | { type: 'stdin' } | { type: 'error'; error: ManifestError };

const byName = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** Manifest files in a directory, sorted by name; subdirectories too when recursive. */
async function listDir(dir: string, recursive: boolean, seen: Set<string>): Promise<string[]> {
  const real = await realpath(dir);
  if (seen.has(real)) return []; // a symlink loop
  seen.add(real);
  const out: string[] = [];
  const entries = await readdir(dir, { withFileTypes: true });
  for (const entry of entries.sort((a, b) => byName(a.name, b.name))) {
    const name = entry.name;
    const path = join(dir, name);
    // the entry's type saves a stat, except for symlinks (followed) and anything unusual
    const st = entry.isFile() || entry.isDirectory() ? entry : await stat(path).catch(() => undefined); // a dangling symlink is not a manifest
    if (st?.isDirectory()) {
      if (recursive) out.push(...(await listDir(path, recursive, seen)));
    } else if (st && isManifestName(name)) out.push(path);
  }
  return out;
}

/** Expand `-f` arguments: `-` is stdin, a directory its manifest files, anything else a file. */
export async function expandInputs(inputs: string[], recursive: boolean): Promise<Source[]> {
  const out: Source[] = [];
  let stdinSeen = false;
  for (const input of inputs) {
    if (input === '-') {
      out.push(stdinSeen ? { type: 'error', error: inputError('-', 'stdin ("-") given more than once') } : { type: 'stdin' });
      stdinSeen = true;
      continue;
    }
    try {
      const st = await stat(input);
      if (!st.isDirectory()) {
        out.push({ type: 'file', path: input });
        continue;
      }
      const files = await listDir(input, recursive, new Set());
      if (files.length === 0) out.push({ type: 'error', error: inputError(input, `no manifests found in ${input}`) });
      for (const path of files) out.push({ type: 'file', path });
    } catch (e) {
      out.push({ type: 'error', error: inputError(input, ioMessage(e)) });
    }
  }
  return out;
}

/** Read at most limit + 1 bytes, then stop: one byte more than allowed is enough to say "too large". */
export function readCapped(stream: NodeJS.ReadableStream, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const done = (err?: unknown) => {
      stream.removeListener('data', onData);
      stream.removeListener('end', onEnd);
      stream.removeListener('error', done);
      if (err) reject(err);
      else resolve(Buffer.concat(chunks).subarray(0, limit + 1));
    };
    const onData = (chunk: Buffer | string) => {
      const b = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      chunks.push(b);
      size += b.length;
      if (size > limit) {
        done();
        (stream as NodeJS.ReadableStream & { destroy?: () => void }).destroy?.();
      }
    };
    const onEnd = () => done();
    stream.on('data', onData);
    stream.on('end', onEnd);
    stream.on('error', done);
  });
}

/**
 * A file's bytes (at most limit + 1 of them), or why there are none. Regular files are measured
 * before they are read, and read in as few calls as their size allows.
 */
export async function readFileCapped(path: string, limit: number, opts: { sync?: boolean } = {}): Promise<Buffer | ManifestError> {
  if (opts.sync) {
    const r = readRegularFileSync(path, limit);
    if (r !== undefined) return r;
  }
  let fh: FileHandle | undefined;
  try {
    fh = await open(path, 'r');
    const st = await fh.stat();
    if (!st.isFile()) {
      // a device or FIFO (/dev/zero) has no size: the cap stops it
      const stream = fh.createReadStream();
      fh = undefined; // the stream closes it
      return await readCapped(stream, limit);
    }
    if (st.size > limit) return inputError(path, tooLarge(limit));
    return await readUpTo(fh, Math.min(st.size, limit) + 1, limit + 1);
  } catch (e) {
    return inputError(path, ioMessage(e));
  } finally {
    await fh?.close().catch(() => undefined);
  }
}

/**
 * readFileCapped's work for a regular file, without the thread pool: several times faster for many
 * small files, for a process that has nothing else to do meanwhile (the CLI). Opened non-blocking,
 * so a FIFO cannot hang it; anything but a regular file is left to the caller (undefined).
 */
function readRegularFileSync(path: string, limit: number): Buffer | ManifestError | undefined {
  let fd: number | undefined;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
    const st = fstatSync(fd);
    if (!st.isFile()) return undefined;
    if (st.size > limit) return inputError(path, tooLarge(limit));
    const max = limit + 1;
    let buf = Buffer.allocUnsafe(Math.min(st.size, limit) + 1);
    let length = 0;
    for (;;) {
      if (length === buf.length) {
        if (length >= max) break;
        const bigger = Buffer.allocUnsafe(Math.min(max, buf.length * 2));
        buf.copy(bigger, 0, 0, length);
        buf = bigger;
      }
      const n = readSync(fd, buf, length, buf.length - length, null);
      if (n === 0) break;
      length += n;
    }
    return buf.subarray(0, length);
  } catch (e) {
    return inputError(path, ioMessage(e));
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** Read until the end of the file or `max` bytes, starting with a buffer of `size` (a file may grow). */
async function readUpTo(fh: FileHandle, size: number, max: number): Promise<Buffer> {
  let buf = Buffer.allocUnsafe(size);
  let length = 0;
  for (;;) {
    if (length === buf.length) {
      if (length >= max) break;
      const bigger = Buffer.allocUnsafe(Math.min(max, buf.length * 2));
      buf.copy(bigger, 0, 0, length);
      buf = bigger;
    }
    const { bytesRead } = await fh.read(buf, length, buf.length - length, null);
    if (bytesRead === 0) break;
    length += bytesRead;
  }
  return buf.subarray(0, length);
}
