/**
 * Bench fixtures, built the way the test stack builds them: distinct busybox-only images via
 * `docker import` (test/stack/fixtures.ts), created in parallel batches. Creation is never timed.
 */
import type Dockerode from 'dockerode';
import { buildFixture } from '../../stack/fixtures.js';
import type { RawEngine } from './engine.js';

export interface FixtureSpec {
  ref: string;
  labels: Record<string, string>;
}

/** Run `fn` over `items` with at most `concurrency` in flight. */
export async function pool<T, R>(items: readonly T[], concurrency: number, fn: (item: T, i: number) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, items.length) }, async () => {
      for (let i = next++; i < items.length; i = next++) out[i] = await fn(items[i]!, i);
    }),
  );
  return out;
}

let created = 0;
let creationMs = 0;
/** Images created so far and the time it took (reported, never counted in a result). */
export const creationStats = () => ({ images: created, ms: creationMs });

/** Import the images (8 at a time; the engine serializes imports, more gains nothing); returns their IDs. */
export async function makeImages(docker: Dockerode, specs: readonly FixtureSpec[]): Promise<string[]> {
  const t0 = performance.now();
  const ids = await pool(specs, 8, (s) => buildFixture(docker, s.ref, { labels: s.labels }));
  created += specs.length;
  creationMs += performance.now() - t0;
  return ids;
}

/** Created (not started) containers, one per image: they make the image in use, cost no process. */
export async function makeContainers(docker: Dockerode, images: readonly string[], namePrefix: string): Promise<string[]> {
  return pool(images, 4, async (image, i) => {
    const c = await docker.createContainer({ Image: image, name: `${namePrefix}-${i}`, Cmd: ['/bin/busybox', 'sleep', '3600'], HostConfig: { NetworkMode: 'none' } });
    return c.id;
  });
}

/** Remove every container, then every image carrying `bench=<value>` for one of `labelValues` (or all). */
export async function cleanEngine(raw: RawEngine, labelValues?: string[]): Promise<void> {
  const containers = await raw.json<{ Id: string }[]>('GET', '/containers/json?all=1');
  for (const c of containers) await raw.request('DELETE', `/containers/${c.Id}?force=1`);
  const images = labelValues
    ? (await Promise.all(labelValues.map((v) => raw.imagesWithLabel(v)))).flat()
    : await raw.json<{ Id: string }[]>('GET', '/images/json');
  for (const i of images) await raw.request('DELETE', `/images/${i.Id}?force=1`);
}
