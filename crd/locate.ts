import { isMap, isScalar, isSeq, type Document, type Node } from 'yaml';
import type { PathSegment } from './kinds.js';

/**
 * Offset of the node at `path`: the key for a mapping entry, the item for a list entry. A path
 * that does not exist (a missing field) resolves to its nearest existing parent.
 */
export function locate(doc: Document, path: readonly PathSegment[]): number {
  let node: unknown = doc.contents;
  let pos = (doc.contents as Node | null)?.range?.[0] ?? doc.range?.[0] ?? 0;
  for (const seg of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(seg));
      if (!pair) break;
      pos = (pair.key as Node).range?.[0] ?? pos;
      node = pair.value;
    } else if (isSeq(node) && typeof seg === 'number') {
      const item = node.items[seg] as Node | undefined;
      if (!item) break;
      pos = item.range?.[0] ?? pos;
      node = item;
    } else break;
  }
  return pos;
}
