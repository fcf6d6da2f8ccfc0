import { createReadStream } from 'node:fs';
import { readdir, realpath, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { ManifestError } from './types.js';

export const MANIFEST_EXTENSIONS = ['.yaml', '.yml', '.json'];

/** What one `-f` argument stands for. */
export type Source = { type: 'file'; path: string } | { type: 'stdin' } | { type: 'error'; error: ManifestError };

export function inputError(file: string, message: string): ManifestError {
  return { file, line: 1, col: 1, path: '', message };
}

export function ioMessage(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'no such file or directory';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  return e instanceof Error ? e.message : String(e);
}

const isManifestName = (name: string) => MANIFEST_EXTENSIONS.some((ext) => name.toLowerCase().endsWith(ext));
const byName = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** Manifest files in a directory, sorted by name; subdirectories too when recursive. */
async function listDir(dir: string, recursive: boolean, seen: Set<string>): Promise<string[]> {
  const real = await realpath(dir);
  if (seen.has(real)) return []; // a symlink loop
  seen.add(real);
  const out: string[] = [];
  for (const name of (await readdir(dir)).sort(byName)) {
    const path = join(dir, name);
    const st = await stat(path).catch(() => undefined); // a dangling symlink is not a manifest
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

/** A file's bytes, or why there are none. Regular files are measured before they are read. */
export async function readFileCapped(path: string, limit: number): Promise<Buffer | ManifestError> {
  try {
    const st = await stat(path);
    if (st.isFile() && st.size > limit) return inputError(path, tooLarge(limit));
    // a device or FIFO (/dev/zero) has no size: the cap stops it
    return await readCapped(createReadStream(path), limit);
  } catch (e) {
    return inputError(path, ioMessage(e));
  }
}

export function tooLarge(limit: number): string {
  return `file too large: more than ${limit} bytes (${limit / 1024 / 1024} MiB)`;
}
