import { MAX_FILE_BYTES } from '../crd/load.js';

/** Read stdin up to the manifest size cap (and a little more, so the loader can say it is too big). */
export async function readStdin(): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of process.stdin) {
    chunks.push(c as Buffer);
    size += (c as Buffer).length;
    if (size > MAX_FILE_BYTES) break;
  }
  return Buffer.concat(chunks);
}
