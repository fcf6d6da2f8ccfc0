/**
 * The Rollout panel: the latest `_commit` and how many of the selected devices (those the label
 * selector picks, every device without one) report it as applied, with the laggards listed: the
 * devices still on another revision, and why when they say (a refused set, Stale).
 */
import { clockTime } from '../format.js';
import type { DeviceRow, RolloutInfo } from '../wire.js';
import { byId, el, setText } from './dom.js';

/** laggards listed by name; the rest are counted */
export const LAGGARDS_SHOWN = 25;

export interface RolloutCount {
  applied: number;
  total: number;
  laggards: DeviceRow[];
}

/** Which of `rows` have applied `revision` (pure: the page's tests call it without a DOM). */
export function countRollout(rows: readonly DeviceRow[], revision: number): RolloutCount {
  const laggards = rows.filter((r) => r.appliedRevision !== revision);
  return { applied: rows.length - laggards.length, total: rows.length, laggards };
}

export class RolloutView {
  private info: RolloutInfo = { revision: 0, publishedAt: null, publisher: null, objects: 0 };
  private shownKey = '';
  private readonly applied = byId('rollout-applied');
  private readonly total = byId('rollout-total');
  private readonly revision = byId('rollout-revision');
  private readonly meta = byId('rollout-meta');
  private readonly progress = byId<HTMLProgressElement>('rollout-progress');
  private readonly list = byId<HTMLUListElement>('laggards');
  private readonly more = byId('laggards-more');

  get latest(): number {
    return this.info.revision;
  }

  setInfo(info: RolloutInfo): void {
    this.info = info;
  }

  render(selected: readonly DeviceRow[]): void {
    const c = countRollout(selected, this.info.revision);
    setText(this.applied, String(c.applied));
    setText(this.total, String(c.total));
    setText(this.revision, this.info.revision === 0 ? 'none yet' : String(this.info.revision));
    this.progress.max = Math.max(1, c.total);
    this.progress.value = c.applied;
    const i = this.info;
    setText(this.meta, i.revision === 0 ? 'Nothing has been published to the fleet yet.'
      : `${i.objects} object${i.objects === 1 ? '' : 's'}, published${i.publishedAt ? ` at ${clockTime(i.publishedAt)}` : ''}${i.publisher ? ` by ${i.publisher}` : ''}.`);
    const shown = c.laggards.slice(0, LAGGARDS_SHOWN);
    // the list is drawn again only when who lags (or why) changed
    const key = shown.map((r) => `${r.name}\n${r.appliedRevision}\n${r.ready}\n${r.reason}`).join('\n');
    if (key !== this.shownKey) {
      this.shownKey = key;
      this.list.replaceChildren(...shown.map((r) => el('li', {},
        el('span', { class: 'node' }, r.name), ` at ${r.appliedRevision === null ? 'no revision' : `revision ${r.appliedRevision}`}`,
        ...(r.ready ? [] : [el('span', { class: 'why' }, ` (${r.reason})`)]))));
    }
    const rest = c.laggards.length - shown.length;
    setText(this.more, c.laggards.length === 0 ? (c.total > 0 ? 'None: every selected device has applied it.' : '') : rest > 0 ? `and ${rest} more` : '');
  }
}
