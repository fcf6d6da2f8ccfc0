/**
 * The removal executor. It never forces, and never lets an image in use lose a tag.
 *
 * Fast path, for an image observed with at most one tag: ONE unforced `DELETE /images/{id}`. By ID
 * the engine checks every container (running, stopped or only created) before it touches anything,
 * answers 409 if one references the image, and otherwise removes the tag, every repo digest and the
 * image at once; the answer's `{Deleted: <id>}` proves it gone. A 409 without a container (digests
 * of several repositories, another tag added since the observation, child images) goes on to:
 *
 * The careful path, for several tags: deleting an unused image by ID answers 409 when it has
 * several tags, and `prune -a` strips tags from in-use images (moby/moby#36295); so it re-lists the
 * containers, untags the extra tags, deletes the last one without force, and if that answers 409 (a
 * container appeared) it restores every tag it removed. Any other failure part-way (the engine
 * dropped a tag and then failed, or went away) also ends with every tag the image had put back, as far
 * as the engine answers; the next pass puts back the rest from the write-ahead record.
 */
import { errorText, statusOf } from '../engine/docker.js';
import type { EngineClient, ImageDeleteItem } from '../engine/client.js';

export type RemovalOutcome =
  | { kind: 'removed'; untagged: string[]; deleted: string }
  | { kind: 'gone' }
  | { kind: 'in-use'; usedBy: string[]; error: string; restored: string[] }
  /** 409 while the re-list shows no container (child images, the engine's own state): terminal */
  | { kind: 'refused'; error: string; restored: string[] }
  | { kind: 'failed'; error: string; restored?: string[] };

function splitTag(ref: string): { repo: string; tag: string } {
  const i = ref.lastIndexOf(':');
  return i > ref.lastIndexOf('/') ? { repo: ref.slice(0, i), tag: ref.slice(i + 1) } : { repo: ref, tag: 'latest' };
}

async function usersOf(docker: EngineClient, id: string): Promise<string[]> {
  const cs = await docker.listContainers({ all: true });
  return cs.filter((c) => c.ImageID === id).map((c) => (c.Names?.[0] ?? c.Id.slice(0, 12)).replace(/^\//, ''));
}

async function inspectTags(docker: EngineClient, id: string): Promise<string[] | null> {
  try {
    const info = await docker.inspectImage(id);
    return (info.RepoTags ?? []).filter((t) => t !== '<none>:<none>');
  } catch (err) {
    if (statusOf(err) === 404) return null;
    throw err;
  }
}

/**
 * Put back every tag of `before` that the image lacks now, unless the name belongs to another image
 * by now. Returns the tags put back, or null when the image is gone. Best effort: an engine that does
 * not answer leaves it to the next pass, whose write-ahead record (`removable`) keeps `before`.
 */
export async function restoreMissing(docker: EngineClient, id: string, before: readonly string[]): Promise<string[] | null> {
  const now = await inspectTags(docker, id).catch(() => undefined);
  if (now === null) return null;
  if (now === undefined) return [];
  const restored: string[] = [];
  for (const t of before) {
    if (now.includes(t)) continue;
    const owner = await docker.inspectImage(t).then(() => 'another', (err: unknown) => (statusOf(err) === 404 ? null : 'unknown'));
    if (owner) continue;
    try {
      await docker.tagImage(id, splitTag(t));
      restored.push(t);
    } catch {
      // best effort: the image itself is still there, which is what matters most
    }
  }
  return restored;
}

/**
 * A refused delete by ID happened while a container was being created: should the engine have
 * dropped the tag before it refused, put it back (unless the name now belongs to another image).
 */
async function restoreIfLost(docker: EngineClient, id: string, tag: string | undefined): Promise<string[]> {
  if (!tag) return [];
  const lost = await docker.inspectImage(tag).then(() => false, (err: unknown) => statusOf(err) === 404);
  if (!lost) return [];
  return docker.tagImage(id, splitTag(tag)).then(() => [tag], () => []);
}

/** The fast path (see above); null when the careful path has to decide. */
async function removeById(docker: EngineClient, id: string, tags: readonly string[]): Promise<RemovalOutcome | null> {
  let answer: ImageDeleteItem[] | undefined;
  try {
    answer = await docker.removeImage(id);
  } catch (err) {
    const status = statusOf(err);
    if (status === 404) return { kind: 'gone' };
    if (status === 409) {
      const usedBy = await usersOf(docker, id).catch(() => []);
      if (usedBy.length === 0) return null;
      return { kind: 'in-use', usedBy, error: `conflict (409): ${errorText(err)}`, restored: await restoreIfLost(docker, id, tags[0]) };
    }
    // any other failure: the engine may have dropped the tag before it failed
    const restored = await restoreMissing(docker, id, tags);
    if (restored === null) return { kind: 'removed', untagged: [], deleted: tags[0] ?? id };
    return { kind: 'failed', error: errorText(err), restored };
  }
  if ((answer ?? []).some((i) => i.Deleted === id)) return { kind: 'removed', untagged: [], deleted: tags[0] ?? id };
  // an answer without the image among the deleted: look whether it is still there
  const left = await inspectTags(docker, id).catch(() => undefined);
  if (left === null) return { kind: 'removed', untagged: [], deleted: tags[0] ?? id };
  return null;
}

/**
 * Remove one image by ID, safely (see above). `observedTags` are its tags as the caller last saw
 * them (the write-ahead record's); with at most one, the fast path goes first. However it ends, every
 * tag the image had before is on it again, unless it is gone.
 */
export async function removeImageSafely(docker: EngineClient, id: string, observedTags?: readonly string[]): Promise<RemovalOutcome> {
  if (observedTags && observedTags.length <= 1) {
    const fast = await removeById(docker, id, observedTags);
    if (fast) return fast;
  }
  return removeCarefully(docker, id, observedTags ?? []);
}

async function removeCarefully(docker: EngineClient, id: string, observedTags: readonly string[]): Promise<RemovalOutcome> {
  const untagged: string[] = [];
  let before = [...observedTags];
  try {
    const tags = await inspectTags(docker, id);
    if (tags === null) return { kind: 'gone' };
    before = [...new Set([...tags, ...observedTags])];
    const users = await usersOf(docker, id);
    if (users.length > 0) return { kind: 'in-use', usedBy: users, error: `in use by ${users.join(', ')}`, restored: (await restoreMissing(docker, id, before)) ?? [] };
    for (const t of tags.slice(0, -1)) {
      await docker.removeImage(t);
      untagged.push(t);
    }
    const last = tags.at(-1);
    await docker.removeImage(last ?? id);
    // The engine may only untag the last tag and keep the image: other references (digests) remain,
    // or a container it was creating meanwhile now uses it. Then delete by ID, and should that be
    // refused, every tag goes back.
    if ((await inspectTags(docker, id)) !== null) await docker.removeImage(id);
    return { kind: 'removed', untagged, deleted: last ?? id };
  } catch (err) {
    return interrupted(docker, id, err, before, untagged);
  }
}

/** A removal that failed part-way: the tags go back; the outcome says why it stopped. */
async function interrupted(docker: EngineClient, id: string, err: unknown, before: readonly string[], untagged: string[]): Promise<RemovalOutcome> {
  const restored = await restoreMissing(docker, id, before);
  if (restored === null) return { kind: 'removed', untagged, deleted: id };
  if (statusOf(err) === 409) {
    const usedBy = await usersOf(docker, id).catch(() => null);
    if (usedBy === null) return { kind: 'failed', error: `conflict (409): ${errorText(err)}; the containers could not be listed`, restored };
    // a 409 without a container (e.g. dependent child images) is not "in use", and retrying the
    // same delete gets the same answer: a terminal outcome
    if (usedBy.length > 0) return { kind: 'in-use', usedBy, error: `conflict (409): ${errorText(err)}`, restored };
    return { kind: 'refused', error: `conflict (409): ${errorText(err)}`, restored };
  }
  return { kind: 'failed', error: errorText(err), restored };
}
