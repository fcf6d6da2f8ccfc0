/**
 * PROTOTYPE (bench only) of a change recommended for controller/remove.ts: an image that has at
 * most one tag is removed with ONE call, `DELETE /images/{id}` without force. The engine itself
 * refuses (409) when any container references it, and deleting by ID removes the tag and every
 * repo digest at once; the response's `Deleted: <id>` entry proves it is gone, so neither the
 * inspect before, the container list, nor the inspect after is needed. Images with several tags
 * keep the careful path (untag extras, restore on 409), where the engine's checks do not suffice.
 */
import type { RawEngine } from '../lib/engine.js';

export type FastOutcome = 'removed' | 'gone' | 'in-use' | 'failed';

export async function removeFast(raw: RawEngine, id: string): Promise<FastOutcome> {
  const r = await raw.request('DELETE', `/images/${id}`);
  if (r.status === 404) return 'gone';
  if (r.status === 409) return 'in-use';
  if (r.status !== 200) return 'failed';
  const items = JSON.parse(r.body.toString('utf8')) as { Deleted?: string }[];
  return items.some((i) => i.Deleted === id) ? 'removed' : 'failed';
}
