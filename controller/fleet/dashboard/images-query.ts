/**
 * "Which devices hold this image, and in which state": a tag, digest reference or image ID (or ID
 * prefix) is read as `imagectl --fleet get images NAME -A` reads it (crd/fleet/images.ts); a glob is
 * matched as an ImagePolicy's `imageName` matches (crd/imagepolicy: the same candidates, normalized
 * and familiar, the same minimatch options). Removed images are listed too, in state `removed`: "who
 * still holds app:1.2" is answered by the other states. Pure.
 */
import { hasGlob } from '../../../crd/fields/reference.js';
import { imageMatcher } from '../../../crd/fleet/images.js';
import type { NodeStatus } from '../../../crd/fleet/node-status.js';
import { candidates, compilePattern } from '../../../crd/imagepolicy/match.js';
import { imagePatternProblem } from '../../../crd/imagepolicy/pattern.js';
import type { ImageHolder, ImagesAnswer } from './wire.js';

/** at most this many holders in one answer (1000 devices × a few images each) */
export const MAX_HOLDERS = 5000;

type Entry = NodeStatus['images'][number];

function holder(node: string, e: Entry): ImageHolder {
  const s = e.status;
  return { node, id: e.id, tags: s.tags ?? [], state: s.state, sizeBytes: s.sizeBytes ?? 0, lastUsedAt: s.lastUsedAt ?? null, reason: s.reason ?? '' };
}

/** The devices among `nodes` that hold what `query` names. */
export function imageHolders(nodes: Iterable<NodeStatus>, query: string): ImagesAnswer {
  const q = query.trim();
  if (q === '') return { query: q, kind: 'reference', items: [], error: 'give a tag, digest, image ID or glob' };
  const glob = hasGlob(q);
  let pick: (images: readonly Entry[]) => readonly Entry[];
  if (glob) {
    const problem = imagePatternProblem(q);
    if (problem) return { query: q, kind: 'glob', items: [], error: problem };
    const p = compilePattern(q);
    pick = (images) => images.filter((e) => p.test(candidates(e.status.tags ?? [], e.status.repoDigests ?? [])));
  } else {
    const m = imageMatcher(q);
    pick = (images) => m(images) as Entry[];
  }
  const items: ImageHolder[] = [];
  for (const n of nodes) {
    for (const e of pick(Array.isArray(n.images) ? n.images : [])) {
      if (items.length >= MAX_HOLDERS) break;
      items.push(holder(n.node, e));
    }
  }
  items.sort((a, b) => (a.node < b.node ? -1 : a.node > b.node ? 1 : a.id < b.id ? -1 : 1));
  return { query: q, kind: glob ? 'glob' : 'reference', items };
}
