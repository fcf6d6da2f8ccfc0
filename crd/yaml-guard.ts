import { isAlias, isMap, isScalar, isSeq, type Document, type Node } from 'yaml';
import type { PathSegment } from './kinds.js';

/** Deeper than this is never a manifest; it is an attack on the parser or a generator gone wrong. */
export const MAX_DEPTH = 64;
export const TOO_DEEP = `nested deeper than ${MAX_DEPTH} levels`;

/**
 * yaml needs about 10 µs and 1 kB per node: a 4 MiB file of `- 1` lines takes 10 s and 1.3 GB.
 * Lines plus commas bound the number of nodes; no hand-written manifest file comes near this.
 */
export const MAX_LINES_AND_ITEMS = 50_000;
export const TOO_MANY_ITEMS = `more than ${MAX_LINES_AND_ITEMS} lines and list items: split the file`;

/**
 * A linear pass before yaml sees the text: the offset and reason of the first sign that parsing
 * would be too slow or too big, if any. yaml's parser needs gigabytes for a few MB of `[`, so
 * flow brackets and block indicators on one line (`- - - -`) are counted too. Brackets and commas
 * inside strings and comments count as well: an upper bound is enough here.
 */
export function prescan(text: string): { offset: number; message: string } | undefined {
  let flow = 0;
  let compact = 0;
  let items = 0;
  let lineStart = true;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '\n' || c === ',') {
      if (++items > MAX_LINES_AND_ITEMS) return { offset: i, message: TOO_MANY_ITEMS };
      if (c === ',') continue;
      lineStart = true;
      compact = 0;
      continue;
    }
    if (lineStart) {
      if (c === ' ') continue;
      const next = text[i + 1];
      if ((c === '-' || c === '?' || c === ':') && (next === ' ' || next === '\t')) {
        if (++compact > MAX_DEPTH) return { offset: i, message: TOO_DEEP };
        i++;
        continue;
      }
      lineStart = false;
    }
    if (c === '[' || c === '{') {
      if (++flow > MAX_DEPTH) return { offset: i, message: TOO_DEEP };
    } else if ((c === ']' || c === '}') && flow > 0) flow--;
  }
  return undefined;
}

export interface AstProblem {
  offset: number;
  path: PathSegment[];
  message: string;
}

function keyString(key: unknown): string | undefined {
  if (key === null || key === undefined) return '';
  return isScalar(key) ? String(key.value) : undefined;
}

/**
 * One iterative walk over a composed document: nesting depth, duplicate keys (linear, where yaml's
 * own `uniqueKeys` check is quadratic and hangs on a map of 100 000 keys), and the first alias.
 */
export function inspectDocument(doc: Document): { problems: AstProblem[]; firstAlias: number } {
  const problems: AstProblem[] = [];
  let firstAlias = -1;
  let tooDeep = false;
  const stack: { node: unknown; path: PathSegment[]; depth: number }[] = [{ node: doc.contents, path: [], depth: 1 }];
  while (stack.length > 0) {
    const { node, path, depth } = stack.pop()!;
    if (isAlias(node)) {
      const at = node.range?.[0] ?? 0;
      if (firstAlias < 0 || at < firstAlias) firstAlias = at;
      continue;
    }
    if (!isMap(node) && !isSeq(node)) continue;
    const offset = (node as Node).range?.[0] ?? 0;
    if (depth > MAX_DEPTH) {
      if (!tooDeep) problems.push({ offset, path, message: TOO_DEEP });
      tooDeep = true;
      continue;
    }
    if (isSeq(node)) {
      node.items.forEach((item, i) => stack.push({ node: item, path: [...path, i], depth: depth + 1 }));
      continue;
    }
    const seen = new Set<string>();
    for (const pair of node.items) {
      const key = keyString(pair.key);
      const keyOffset = (pair.key as Node | null)?.range?.[0] ?? offset;
      if (key === undefined) {
        problems.push({ offset: keyOffset, path, message: 'a mapping key must be a plain value, not a list or mapping' });
        continue;
      }
      if (seen.has(key)) problems.push({ offset: keyOffset, path: [...path, key], message: `duplicate key ${JSON.stringify(key)}` });
      seen.add(key);
      stack.push({ node: pair.value, path: [...path, key], depth: depth + 1 });
    }
  }
  return { problems, firstAlias };
}
