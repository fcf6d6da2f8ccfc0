import { readCapped } from './inputs.js';
import { MAX_FILE_BYTES } from '../crd/load.js';

/** Read stdin up to the manifest size cap (one byte more, so the loader can say it is too big). */
export function readStdin(): Promise<Buffer> {
  return readCapped(process.stdin, MAX_FILE_BYTES);
}
