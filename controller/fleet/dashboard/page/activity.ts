/**
 * The Activity list: the fleet's recent audit records, newest first, removals marked and with what
 * they freed. New records are put on top; the list keeps the last MAX_ROWS removals and the last
 * MAX_ROWS other records (as the server does), so that a rollout's apply records do not push the
 * removals out. It follows the label selector (a record shows when its device passes) and a
 * "removals only" switch.
 */
import { clockTime, humanBytes } from '../format.js';
import { keepRecent } from '../recent.js';
import type { ActivityItem } from '../wire.js';
import { byId, el, setText } from './dom.js';

export const MAX_ROWS = 200;
const FIRST_ROWS = 40;

const short = (id: string | null) => (id ? id.replace(/^sha256:/, '').slice(0, 12) : '');

/** What changed, in words: `idle → removed`, `api.rmi succeeded`. */
export function changeText(a: ActivityItem): string {
  if (a.event.startsWith('api.')) return `${a.event} ${a.to}`;
  return a.from ? `${a.from} → ${a.to}` : `${a.event}: ${a.to}`;
}

interface ItemView {
  item: ActivityItem;
  tr: HTMLTableRowElement;
}

export class ActivityView {
  private views: ItemView[] = [];
  private readonly tbody: HTMLTableSectionElement;
  private readonly removalsOnly = byId<HTMLInputElement>('removals-only');
  private readonly empty = byId('activity-empty');

  constructor(table: HTMLTableElement, private readonly passes: (node: string) => boolean) {
    this.tbody = table.tBodies[0]!;
    this.removalsOnly.addEventListener('change', () => this.refilter());
  }

  /** Records newest first; `replace`: they are the whole list (a snapshot). */
  add(items: readonly ActivityItem[], replace = false): void {
    if (replace) {
      this.views.length = 0;
      this.tbody.replaceChildren();
    }
    const have = new Set(this.views.map((v) => v.item.seq));
    const fresh = keepRecent(items.filter((i) => !have.has(i.seq)), MAX_ROWS);
    // a whole list: the first screenful now, the older records in the next frame
    const later = replace ? fresh.splice(FIRST_ROWS) : [];
    this.put(fresh, 'top');
    if (later.length > 0) requestAnimationFrame(() => this.put(later, 'bottom'));
    this.counts();
  }

  private put(items: readonly ActivityItem[], where: 'top' | 'bottom'): void {
    if (items.length === 0) return;
    const rows = items.map((item) => ({ item, tr: this.row(item) }));
    if (where === 'top') {
      this.views.unshift(...rows);
      this.tbody.prepend(...rows.map((r) => r.tr));
    } else {
      this.views.push(...rows);
      this.tbody.append(...rows.map((r) => r.tr));
    }
    this.trim();
  }

  /** Drop the oldest records past MAX_ROWS of their kind. */
  private trim(): void {
    const kept = new Set(keepRecent(this.views.map((v) => v.item), MAX_ROWS));
    if (kept.size === this.views.length) return;
    for (const v of this.views) if (!kept.has(v.item)) v.tr.remove();
    this.views = this.views.filter((v) => kept.has(v.item));
  }

  /** The label selector or the switch changed. */
  refilter(): void {
    for (const v of this.views) this.show(v);
    this.counts();
  }

  private row(a: ActivityItem): HTMLTableRowElement {
    const image = a.tags[0] ?? short(a.image);
    const tr = el('tr', { 'data-node': a.node, class: a.removal ? 'removal' : null },
      el('td', {}, el('time', { datetime: a.time }, clockTime(a.time))),
      el('td', {}, a.node),
      el('td', { title: a.image ?? '' }, image || '—'),
      el('td', {}, changeText(a)),
      el('td', { class: 'reason' }, a.reason),
      el('td', { class: 'num' }, a.freedBytes === null ? '' : humanBytes(a.freedBytes)));
    this.show({ item: a, tr });
    return tr;
  }

  private show(v: ItemView): void {
    const shown = this.passes(v.item.node) && (!this.removalsOnly.checked || v.item.to === 'removed');
    if (v.tr.hidden === shown) v.tr.hidden = !shown;
  }

  private counts(): void {
    const shown = this.views.some((v) => !v.tr.hidden);
    setText(this.empty, shown ? '' : this.views.length ? 'No record matches.' : 'No audit records in the last 24 hours.');
  }
}
