/** The CLI's reading of `-f` inputs (files, directories, stdin), handed to crd's pure parser. */
import type { ManifestError } from '../crd/types.js';
import { SetParser, STDIN_NAME, type LoadResult, type ParseOptions } from '../crd/load.js';
import { inputError, ioMessage, MAX_FILE_BYTES } from '../crd/input.js';
import { expandInputs, readCapped, readFileCapped } from './inputs.js';

/** Files read ahead of the parser (each at most MAX_FILE_BYTES + 1 in memory). */
const READ_AHEAD = 16;

/**
 * Load every manifest named by `inputs` (files, directories, `-` for stdin) and report every
 * problem of every file at once. Applying all or nothing is up to the caller. `syncReads` reads
 * regular files without the thread pool: faster, for a process with nothing else to serve (the CLI).
 */
export async function loadManifests(
  inputs: string[],
  opts: { recursive?: boolean; stdin?: () => Promise<Buffer>; syncReads?: boolean } & ParseOptions = {},
): Promise<LoadResult> {
  const readStdin = opts.stdin ?? (() => readCapped(process.stdin, MAX_FILE_BYTES));
  const set = new SetParser({ name: opts.name });
  const sources = await expandInputs(inputs, opts.recursive ?? false);
  // files are read ahead of the parser, a few at a time: parsing one overlaps reading the next
  const reads = new Map<number, Promise<Buffer | ManifestError>>();
  const readAhead = (i: number) => {
    const src = sources[i];
    if (src?.type === 'file') reads.set(i, readFileCapped(src.path, MAX_FILE_BYTES, { sync: opts.syncReads }));
  };
  for (let i = 0; i < READ_AHEAD; i++) readAhead(i);
  for (const [i, src] of sources.entries()) {
    readAhead(i + READ_AHEAD);
    if (src.type === 'error') {
      set.add({ file: src.error.file, error: src.error });
      continue;
    }
    const name = src.type === 'stdin' ? STDIN_NAME : src.path;
    const data =
      src.type === 'stdin'
        ? await readStdin().catch((e: unknown) => inputError(name, ioMessage(e)))
        : await reads.get(i)!;
    reads.delete(i);
    set.add(Buffer.isBuffer(data) ? { file: name, data } : { file: name, error: data });
  }
  return set.finish();
}
