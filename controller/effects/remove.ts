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
 * container appeared) it restores every tag it removed.
 */
import { errorText, statusOf } from '../engine/docker.js';
import type { EngineClient, ImageDeleteItem } from '../engine/client.js';

export type RemovalOutcome =
  | { kind: 'removed'; untagged: string[]; deleted: string }
  | { kind: 'gone' }
  | { kind: 'in-use'; usedBy: string[]; error: string; restored: string[] }
  /** 409 while the re-list shows no container (child images, the engine's own state): terminal */
  | { kind: 'refused'; error: string; restored: string[] }
  | { kind: 'failed'; error: string };

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

async function restore(docker: EngineClient, id: string, tags: string[]): Promise<void> {
  for (const t of tags) {
    try {
      await docker.tagImage(id, splitTag(t));
    } catch {
      // best effort: the image itself is still there, which is what matters most
    }
  }
}

/**
 * A refused delete by ID happened while a container was being created: should the engine have
 * dropped the tag before it refused, put it back (unless the name now belongs to another image).
 */
async function restoreIfLost(docker: EngineClient, id: string, tag: string | undefined): Promise<string[]> {
  if (!tag) return [];
  try {
    await docker.inspectImage(tag);
    return [];
  } catch (err) {
    if (statusOf(err) !== 404) return [];
  }
  try {
    await docker.tagImage(id, splitTag(tag));
    return [tag];
  } catch {
    return [];
  }
}

/** The fast path (see above); null when the careful path has to decide. */
async function removeById(docker: EngineClient, id: string, tag: string | undefined): Promise<RemovalOutcome | null> {
  let answer: ImageDeleteItem[] | undefined;
  try {
    answer = await docker.removeImage(id);
  } catch (err) {
    const status = statusOf(err);
    if (status === 404) return { kind: 'gone' };
    if (status !== 409) return { kind: 'failed', error: errorText(err) };
    const usedBy = await usersOf(docker, id).catch(() => []);
    if (usedBy.length === 0) return null;
    return { kind: 'in-use', usedBy, error: `conflict (409): ${errorText(err)}`, restored: await restoreIfLost(docker, id, tag) };
  }
  if ((answer ?? []).some((i) => i.Deleted === id)) return { kind: 'removed', untagged: [], deleted: tag ?? id };
  // an answer without the image among the deleted: look whether it is still there
  const left = await inspectTags(docker, id).catch(() => undefined);
  if (left === null) return { kind: 'removed', untagged: [], deleted: tag ?? id };
  return null;
}

/**
 * Remove one image by ID, safely (see above). `observedTags` are its tags as the caller last saw
 * them; with at most one, the fast path goes first. Without them, only the careful path runs.
 */
export async function removeImageSafely(docker: EngineClient, id: string, observedTags?: readonly string[]): Promise<RemovalOutcome> {
  if (observedTags && observedTags.length <= 1) {
    const fast = await removeById(docker, id, observedTags[0]);
    if (fast) return fast;
  }
  return removeCarefully(docker, id);
}

async function removeCarefully(docker: EngineClient, id: string): Promise<RemovalOutcome> {
  let untagged: string[] = [];
  try {
    const tags = await inspectTags(docker, id);
    if (tags === null) return { kind: 'gone' };
    const users = await usersOf(docker, id);
    if (users.length > 0) return { kind: 'in-use', usedBy: users, error: `in use by ${users.join(', ')}`, restored: [] };
    for (const t of tags.slice(0, -1)) {
      await docker.removeImage(t);
      untagged.push(t);
    }
    const last = tags.at(-1);
    await docker.removeImage(last ?? id);
    // The engine may only untag the last tag and keep the image: other references (digests) remain,
    // or a container it was creating meanwhile now uses it. Then delete by ID, and should that be
    // refused, the last tag is restored with the others.
    if (last) untagged.push(last);
    if ((await inspectTags(docker, id)) !== null) await docker.removeImage(id);
    return { kind: 'removed', untagged: untagged.filter((t) => t !== last), deleted: last ?? id };
  } catch (err) {
    const status = statusOf(err);
    if (status === 404 && (await inspectTags(docker, id).catch(() => [])) === null) return { kind: 'removed', untagged, deleted: id };
    const restored = untagged;
    if (untagged.length > 0) await restore(docker, id, untagged);
    untagged = [];
    if (status === 409) {
      const usedBy = await usersOf(docker, id).catch(() => null);
      if (usedBy === null) return { kind: 'failed', error: `conflict (409): ${errorText(err)}; the containers could not be listed` };
      // a 409 without a container (e.g. dependent child images) is not "in use", and retrying the
      // same delete gets the same answer: a terminal outcome
      if (usedBy.length > 0) return { kind: 'in-use', usedBy, error: `conflict (409): ${errorText(err)}`, restored };
      return { kind: 'refused', error: `conflict (409): ${errorText(err)}`, restored };
    }
    return { kind: 'failed', error: errorText(err) };
  }
}
