/** An image with one big incompressible layer (busybox and random bytes), so that pulling it takes a while. */
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import type Dockerode from 'dockerode';
import { readFileSync } from 'node:fs';
import { followProgress } from '../../stack/fixtures.js';
import { busyboxPath } from '../../stack/stack.js';

function header(name: string, size: number, type: '0' | '5' = '0', mode = 0o644): Buffer {
  const h = Buffer.alloc(512);
  const octal = (n: number, w: number) => n.toString(8).padStart(w - 1, '0') + '\0';
  h.write(name, 0, 100);
  h.write(octal(mode, 8), 100);
  h.write(octal(0, 8), 108);
  h.write(octal(0, 8), 116);
  h.write(octal(size, 12), 124);
  h.write(octal(1_700_000_000, 12), 136);
  h.write('        ', 148);
  h.write(type, 156);
  h.write('ustar\u000000', 257);
  h.write(octal(h.reduce((a, b) => a + b, 0), 7) + ' ', 148);
  return h;
}

export async function buildBigImage(docker: Dockerode, ref: string, megabytes: number): Promise<string> {
  const data = randomBytes(megabytes * 1024 * 1024);
  const bb = readFileSync(busyboxPath());
  const pad = (n: number) => Buffer.alloc((512 - (n % 512)) % 512);
  const tar = Buffer.concat([
    header('bin/', 0, '5', 0o755), header('bin/busybox', bb.length, '0', 0o755), bb, pad(bb.length),
    header('payload', data.length), data, pad(data.length), Buffer.alloc(1024),
  ]);
  const i = ref.lastIndexOf(':');
  await followProgress(docker, await docker.importImage(Readable.from([tar]), { repo: ref.slice(0, i), tag: ref.slice(i + 1) }));
  return (await docker.getImage(ref).inspect()).Id;
}
