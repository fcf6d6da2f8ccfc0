/** Test images and containers for the stack engine; nothing here ever reaches Docker Hub. */
import { randomBytes, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import { Readable } from 'node:stream';
import Dockerode from 'dockerode';
import { busyboxPath, dockerForTls, type StackInfo } from './stack.js';

export const FIXTURE_CMD = ['/bin/busybox', 'sleep', '3600'];

export interface ProgressItem {
  status?: string;
  error?: string;
  errorDetail?: { message?: string };
  aux?: { Tag?: string; Digest?: string; Size?: number };
  [k: string]: unknown;
}

export function dockerFor(info: StackInfo): Dockerode {
  if (info.tls) return dockerForTls(Number(new URL(info.dockerHost).port), info.tls.certPaths.good);
  return new Dockerode({ socketPath: info.socketPath });
}

/** Reads a JSON progress stream (pull, push, import) to its end; throws on the first item carrying an error. */
export async function followProgress(docker: Dockerode, stream: NodeJS.ReadableStream): Promise<ProgressItem[]> {
  const items = await new Promise<ProgressItem[]>((resolve, reject) =>
    docker.modem.followProgress(stream, (err: Error | null, out: ProgressItem[]) => (err ? reject(err) : resolve(out))),
  );
  const bad = items.find((i) => i.error || i.errorDetail);
  if (bad) throw new Error(bad.error ?? bad.errorDetail?.message ?? JSON.stringify(bad));
  return items;
}

// Minimal ustar writer: the rootfs is two entries plus a marker, not worth a dependency or a tar process.
function tarHeader(name: string, size: number, type: '0' | '5', mode: number): Buffer {
  const h = Buffer.alloc(512);
  const octal = (n: number, width: number) => n.toString(8).padStart(width - 1, '0') + '\0';
  h.write(name, 0, 100);
  h.write(octal(mode, 8), 100);
  h.write(octal(0, 8), 108); // uid
  h.write(octal(0, 8), 116); // gid
  h.write(octal(size, 12), 124);
  h.write(octal(1_700_000_000, 12), 136); // fixed mtime
  h.write('        ', 148); // checksum is computed with this field as spaces
  h.write(type, 156);
  h.write('ustar\u000000', 257);
  const sum = h.reduce((a, b) => a + b, 0);
  h.write(octal(sum, 7) + ' ', 148);
  return h;
}

function tarEntry(name: string, data: Buffer, mode = 0o644): Buffer[] {
  return [tarHeader(name, data.length, '0', mode), data, Buffer.alloc((512 - (data.length % 512)) % 512)];
}

let template: Buffer[] | undefined; // bin/ and bin/busybox, shared by every fixture

function rootfsTar(marker: string, blobBytes = 0, zeros = false, busybox = true, tinyFiles = 0): Buffer {
  template ??= [tarHeader('bin/', 0, '5', 0o755), ...tarEntry('bin/busybox', fs.readFileSync(busyboxPath()), 0o755)];
  // random bytes: neither compression nor deduplication makes the image smaller than its size
  // (zeros: a layer that compresses to next to nothing and takes its full size once extracted)
  const blob = blobBytes > 0 ? tarEntry('blob', zeros ? Buffer.alloc(blobBytes) : randomBytes(blobBytes)) : [];
  // one-byte files: next to nothing in the image's size, a block each on disk
  const tiny = Array.from({ length: tinyFiles }, (_, i) => tarEntry(`tiny/${i}`, Buffer.from('x'))).flat();
  return Buffer.concat([...(busybox ? template : []), ...tarEntry('fixture', Buffer.from(marker + '\n')), ...blob, ...tiny, Buffer.alloc(1024)]);
}

function splitRef(ref: string): { repo: string; tag: string } {
  if (ref.includes('@')) throw new Error(`fixture refs need a tag, not a digest: ${ref}`);
  const colon = ref.lastIndexOf(':');
  return colon > ref.lastIndexOf('/') ? { repo: ref.slice(0, colon), tag: ref.slice(colon + 1) } : { repo: ref, tag: 'latest' };
}

/**
 * Imports a busybox-only image as ref (like `tar -c rootfs | docker import -c 'CMD [...]' - ref`).
 * The default marker includes a nonce, so every fixture gets a distinct image ID. `blobBytes`: a
 * file of that many random bytes (or `zeros`) besides busybox (an image of known size, for disk
 * tests); `busybox: false` leaves busybox out (an image that never runs: a benchmark's candidates);
 * `tinyFiles`: that many one-byte files (an image whose size says little about the blocks it takes).
 */
export async function buildFixture(
  docker: Dockerode,
  ref: string,
  opts: { marker?: string; cmd?: string[]; labels?: Record<string, string>; blobBytes?: number; zeros?: boolean; busybox?: boolean; tinyFiles?: number } = {},
): Promise<string> {
  const { repo, tag } = splitRef(ref);
  const changes = [
    `CMD ${JSON.stringify(opts.cmd ?? FIXTURE_CMD)}`,
    ...Object.entries(opts.labels ?? {}).map(([k, v]) => `LABEL ${JSON.stringify(k)}=${JSON.stringify(v)}`),
  ];
  const tar = Readable.from([rootfsTar(opts.marker ?? `${ref} ${randomUUID()}`, opts.blobBytes, opts.zeros, opts.busybox ?? true, opts.tinyFiles)]);
  await followProgress(docker, await docker.importImage(tar, { repo, tag, changes }));
  return (await docker.getImage(ref).inspect()).Id;
}

/**
 * An image made on `base` the way `docker commit` makes one (its parent is `base`, its layers are
 * base's plus one): a container created from base (never started, network none) gets a file of
 * `blobBytes` random bytes, and is committed as ref and removed.
 */
export async function commitFixture(docker: Dockerode, base: string, ref: string, blobBytes: number): Promise<string> {
  const { repo, tag } = splitRef(ref);
  const c = await docker.createContainer({ Image: base, Cmd: FIXTURE_CMD, HostConfig: { NetworkMode: 'none' } });
  try {
    const tar = Buffer.concat([...tarEntry(`child-${randomUUID()}`, randomBytes(blobBytes)), Buffer.alloc(1024)]);
    await c.putArchive(tar, { path: '/' });
    const r = (await c.commit({ repo, tag })) as { Id: string };
    return r.Id;
  } finally {
    await c.remove({ force: true });
  }
}

/** Pushes ref (REGISTRY/name:tag on the stack's registry) and returns the manifest digest. */
export async function pushFixture(docker: Dockerode, ref: string): Promise<string> {
  if (!/^(127\.0\.0\.1|localhost):\d+\//.test(ref)) throw new Error(`pushFixture only pushes to the local registry: ${ref}`);
  const { repo, tag } = splitRef(ref);
  // dockerd 20.10 rejects a push without an X-Registry-Auth header, even for a registry without auth.
  const items = await followProgress(docker, await docker.getImage(repo).push({ tag, authconfig: {} }));
  const digest = items.find((i) => i.aux?.Digest)?.aux?.Digest;
  if (!digest) throw new Error(`push of ${ref} reported no digest`);
  return digest;
}

/** 404: already gone; 409: removal in progress, or an image with dependants (handled by the next pass). */
function ignoreGone(e: any): void {
  if (e?.statusCode !== 404 && e?.statusCode !== 409) throw e;
}

/** No container and no image: what one test leaves cannot decide the next (the setup of most test files). */
export async function emptyEngine(docker: Dockerode): Promise<void> {
  await removeAllContainers(docker);
  await removeAllImages(docker);
}

export async function removeAllContainers(docker: Dockerode): Promise<void> {
  const containers = await docker.listContainers({ all: true });
  await Promise.all(containers.map((c) => docker.getContainer(c.Id).remove({ force: true, v: true }).catch(ignoreGone)));
}

export async function removeAllImages(docker: Dockerode): Promise<void> {
  for (let pass = 0; pass < 3; pass++) {
    const images = await docker.listImages({ all: true });
    if (!images.length) return;
    await Promise.all(images.map((i) => docker.getImage(i.Id).remove({ force: true }).catch(ignoreGone)));
  }
  const left = await docker.listImages({ all: true });
  if (left.length) throw new Error(`images left after cleanup (still used by containers?): ${left.map((i) => i.RepoTags?.join(',') || i.Id).join(' ')}`);
}

/**
 * Creates (and by default starts) a sleeping container without network.
 * Init: true puts tini in front of sleep so stop/engine shutdown take milliseconds, not the 10 s
 * dockerd waits for a PID 1 that ignores SIGTERM.
 */
export async function runContainer(
  docker: Dockerode,
  image: string,
  opts: { start?: boolean; name?: string } = {},
): Promise<Dockerode.Container> {
  // Fail loudly on a missing image instead of going anywhere near a pull.
  await docker
    .getImage(image)
    .inspect()
    .catch(() => {
      throw new Error(`runContainer: image ${image} is not present in the engine`);
    });
  const container = await docker.createContainer({
    Image: image,
    name: opts.name,
    Cmd: FIXTURE_CMD,
    HostConfig: { NetworkMode: 'none', Init: true },
  });
  if (opts.start !== false) await container.start();
  return container;
}
