/**
 * What a manifest input is before it is parsed: a file's bytes or why there are none, and the
 * limits and messages the readers (the CLI's -f, the agent's --manifests) share. Pure; no yaml.
 */
import type { ManifestError } from './types.js';

export const MAX_FILE_BYTES = 4 * 1024 * 1024;

/** One input of a set: its bytes, or why it could not be read. */
export type FileInput = { file: string; data: string | Uint8Array } | { file: string; error: ManifestError };

export const MANIFEST_EXTENSIONS = ['.yaml', '.yml', '.json'];

export const isManifestName = (name: string) => MANIFEST_EXTENSIONS.some((ext) => name.toLowerCase().endsWith(ext));

export function inputError(file: string, message: string): ManifestError {
  return { file, line: 1, col: 1, path: '', message };
}

/** A file-system error as one short phrase. */
export function ioMessage(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'no such file or directory';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  return e instanceof Error ? e.message : String(e);
}

export function tooLarge(limit: number): string {
  return `file too large: more than ${limit} bytes (${limit / 1024 / 1024} MiB)`;
}
