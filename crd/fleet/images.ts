/**
 * `get images NAME` across the fleet: which of a node's images a reference names, by the same rules
 * as on one device (ID or ID prefix, tag or digest reference, normalized: `app:1.2` is
 * `docker.io/library/app:1.2`). Current images win over removed ones. Pure.
 */
import { normalize, normalizeWithDefaultTag } from '../fields/reference.js';
import type { ImageItem } from '../api/image.js';

type Entry = { id: string; status: Pick<ImageItem['status'], 'tags' | 'repoDigests' | 'state'> };

/** A matcher for one reference, built once for many nodes. */
export function imageMatcher(ref: string): (images: readonly Entry[]) => Entry[] {
  const hex = ref.replace(/^sha256:/, '');
  const byId = /^[a-f0-9]{4,64}$/.test(hex);
  let want: Set<string>;
  try {
    want = new Set([normalize(ref), normalizeWithDefaultTag(ref)]);
  } catch {
    want = new Set([ref]);
  }
  const named = (e: Entry) => [...e.status.tags, ...e.status.repoDigests].some((t) => {
    try {
      return want.has(normalize(t));
    } catch {
      return false;
    }
  });
  return (images) => {
    if (byId) {
      const hits = images.filter((e) => e.id.replace(/^sha256:/, '').startsWith(hex));
      if (hits.length > 0) return hits;
    }
    const hits = images.filter(named);
    const live = hits.filter((e) => e.status.state !== 'removed');
    return live.length > 0 ? live : hits.slice(0, 1);
  };
}
