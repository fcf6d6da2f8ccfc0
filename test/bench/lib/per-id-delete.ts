/**
 * The per-ID floor of removal: one `DELETE /images/{id}` without force per image, serially, on one
 * kept-alive socket, with no agent around it (no plan, no store, no checks): what removing by ID
 * costs the engine itself. B1 reports it next to prune.
 */
import type { RawEngine } from './engine.js';

export type DeleteOutcome = 'removed' | 'gone' | 'in-use' | 'failed';

export async function deleteById(raw: RawEngine, id: string): Promise<DeleteOutcome> {
  const r = await raw.request('DELETE', `/images/${id}`);
  if (r.status === 404) return 'gone';
  if (r.status === 409) return 'in-use';
  if (r.status !== 200) return 'failed';
  const items = JSON.parse(r.body.toString('utf8')) as { Deleted?: string }[];
  return items.some((i) => i.Deleted === id) ? 'removed' : 'failed';
}
