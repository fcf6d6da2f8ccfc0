/**
 * The `_commit` value: what makes a publish whole. A publish writes its objects first, then
 * `_commit`, listing every object key of the whole set with the revision to use; a device applies
 * a set only through a `_commit` whose revisions it holds, so a half-written publish is never
 * applied (nats-server 2.9 has no atomic batch write). Pure.
 */
import { parseObjectKey } from './names.js';

export interface FleetCommit {
  /** object key (`imagepolicy.plant-cleanup`) → the revision of that key to use */
  objects: Record<string, number>;
  /** ISO-8601 */
  publishedAt: string;
  /** who published: the NATS user, or `imagectl` */
  publisher: string;
}

/** The commit as it is written into the bucket. */
export function encodeCommit(c: FleetCommit): string {
  const objects = Object.fromEntries(Object.entries(c.objects).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  return JSON.stringify({ objects, publishedAt: c.publishedAt, publisher: c.publisher });
}

/** A commit read from the bucket, or why it cannot be used (someone wrote it by hand). */
export function decodeCommit(text: string): { ok: true; commit: FleetCommit } | { ok: false; error: string } {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (err) {
    return { ok: false, error: `_commit is not JSON: ${(err as Error).message}` };
  }
  const c = v as Partial<FleetCommit> | null;
  if (!c || typeof c !== 'object' || !c.objects || typeof c.objects !== 'object' || Array.isArray(c.objects)) {
    return { ok: false, error: '_commit must be {"objects": {"<kind>.<name>": <revision>, ...}, "publishedAt", "publisher"}' };
  }
  for (const [k, rev] of Object.entries(c.objects)) {
    if (!parseObjectKey(k)) return { ok: false, error: `_commit.objects[${JSON.stringify(k)}]: not a manifest key (<kind>.<name>)` };
    if (!Number.isSafeInteger(rev) || (rev as number) < 1) return { ok: false, error: `_commit.objects[${JSON.stringify(k)}]: the revision must be a positive integer` };
  }
  return { ok: true, commit: { objects: c.objects as Record<string, number>, publishedAt: String(c.publishedAt ?? ''), publisher: String(c.publisher ?? '') } };
}
