/**
 * The Devices table. Rows are patched, never redrawn wholesale: a change touches only the cells
 * whose content changed, and a row whose sort value changed moves to its new place (found by
 * binary search in the sorted order) instead of the table being sorted again. The first load
 * draws a screenful of rows in its first frame and the others over the next frames (at 1000 rows,
 * laying out and painting them all is most of a first load); any change that comes meanwhile draws
 * the rest first. Filtering by label selector hides rows. Sorting is by the header buttons
 * (keyboard: Tab to a header, Enter or Space); `aria-sort` tells assistive technology which
 * column sorts and how.
 */
import { matchesSelector, type Requirement } from '../../../../crd/fields/label-selector.js';
import type { DeviceRow } from '../wire.js';
import { COLUMNS, comparator, type Column, type SortKey } from './columns.js';
import { el, setText } from './dom.js';

/** rows drawn in a first load's first frame (more than a screen holds); then CHUNK rows a frame */
export const FIRST_ROWS = 100;
const CHUNK = 250;

interface RowView {
  data: DeviceRow;
  tr: HTMLTableRowElement;
  cells: HTMLTableCellElement[];
  keys: string[];
  shown: boolean;
}

export class DevicesTable {
  readonly rows = new Map<string, RowView>();
  private order: RowView[] = [];
  private sortCol: Column = COLUMNS[0]!;
  private dir: 1 | -1 = 1;
  private cmp = comparator(this.sortCol, 1);
  private filter: Requirement[] | null = null;
  private readonly tbody: HTMLTableSectionElement;
  /** the rows of a first load that are not in the table yet, in order */
  private pending: RowView[] = [];

  /** `onAllDrawn`: every row of a first load is in the table */
  constructor(private readonly table: HTMLTableElement, private readonly count: HTMLElement, private readonly onChange: () => void, private readonly onAllDrawn: () => void = () => {}) {
    this.tbody = table.tBodies[0] ?? table.appendChild(el('tbody'));
    this.header();
  }

  /** The rows the filter selects. */
  selected(): DeviceRow[] {
    return this.order.filter((v) => v.shown).map((v) => v.data);
  }

  /** Apply a batch: new and changed rows, removed names; `all`: the batch is the whole fleet (a snapshot). */
  apply(upsert: Iterable<DeviceRow>, remove: Iterable<string>, all = false): void {
    this.drawRest();
    const seen = new Set<string>();
    const fresh: RowView[] = [];
    for (const r of upsert) {
      seen.add(r.name);
      const v = this.rows.get(r.name);
      if (v) this.update(v, r);
      else fresh.push(this.create(r));
    }
    const gone = new Set(remove);
    if (all) for (const name of this.rows.keys()) if (!seen.has(name)) gone.add(name);
    for (const name of gone) this.drop(name);
    this.insert(fresh);
    this.counts();
    this.onChange();
  }

  setFilter(reqs: Requirement[] | null): void {
    this.drawRest();
    this.filter = reqs;
    for (const v of this.order) this.show(v);
    this.counts();
    this.onChange();
  }

  /** Whether a device's labels pass the filter (the other panels filter with it too). */
  passes(labels: Record<string, string> | undefined): boolean {
    return this.filter === null || matchesSelector(this.filter, labels ?? {});
  }

  sortBy(key: SortKey, dir?: 1 | -1): void {
    const col = COLUMNS.find((c) => c.key === key)!;
    this.dir = dir ?? (col === this.sortCol ? (this.dir === 1 ? -1 : 1) : 1);
    this.sortCol = col;
    this.drawRest();
    this.cmp = comparator(col, this.dir);
    const cmp = this.cmp;
    this.order.sort((a, b) => cmp(a.data, b.data));
    // moving the existing rows into order: no cell is drawn again
    this.tbody.append(...this.order.map((v) => v.tr));
    for (const th of this.table.tHead!.rows[0]!.cells) {
      th.setAttribute('aria-sort', th.dataset.key === key ? (this.dir === 1 ? 'ascending' : 'descending') : 'none');
    }
  }

  private header(): void {
    const tr = el('tr');
    for (const c of COLUMNS) {
      const button = el('button', { type: 'button' }, c.title);
      button.addEventListener('click', () => this.sortBy(c.key));
      const th = el('th', { scope: 'col', 'data-key': c.key, 'aria-sort': c === this.sortCol ? 'ascending' : 'none', class: c.numeric ? 'num' : null }, button);
      tr.append(th);
    }
    (this.table.tHead ?? this.table.createTHead()).replaceChildren(tr);
  }

  /** A row; its cells are made when it goes into the table (fill), so a first load makes a screenful first. */
  private create(r: DeviceRow): RowView {
    const v: RowView = { data: r, tr: el('tr', { 'data-node': r.name }), cells: [], keys: [], shown: true };
    this.rows.set(r.name, v);
    this.show(v);
    return v;
  }

  private fill(v: RowView): void {
    if (v.cells.length > 0) return;
    const r = v.data;
    v.cells = COLUMNS.map((c, i) => {
      const cell = i === 0 ? el('th', { scope: 'row' }) : el('td', { class: c.numeric ? 'num' : null });
      c.draw(cell, r);
      return cell;
    });
    v.keys = COLUMNS.map((c) => c.changeKey(r));
    v.tr.append(...v.cells);
  }

  private update(v: RowView, r: DeviceRow): void {
    const moved = this.cmp(v.data, r) !== 0;
    const relabelled = COLUMNS[1]!.changeKey(v.data) !== COLUMNS[1]!.changeKey(r);
    COLUMNS.forEach((c, i) => {
      const k = c.changeKey(r);
      if (k === v.keys[i]) return;
      v.keys[i] = k;
      c.draw(v.cells[i]!, r);
    });
    if (moved) this.order.splice(this.indexOf(v), 1);
    v.data = r;
    if (relabelled) this.show(v);
    if (moved) this.place(v);
  }

  private drop(name: string): void {
    const v = this.rows.get(name);
    if (!v) return;
    this.rows.delete(name);
    this.order.splice(this.indexOf(v), 1);
    v.tr.remove();
  }

  /** New rows: into an empty table a screenful now and the rest frame by frame, else each in its place. */
  private insert(fresh: RowView[]): void {
    if (fresh.length === 0) return;
    if (this.order.length === 0) {
      const cmp = this.cmp;
      this.order = fresh.sort((a, b) => cmp(a.data, b.data));
      this.pending = [...this.order];
      this.drawMore(FIRST_ROWS);
      return;
    }
    for (const v of fresh) this.place(v);
  }

  /** Append the next `n` rows of a first load; schedule the next chunk, or say it is all drawn. */
  private drawMore(n: number): void {
    const next = this.pending.splice(0, n);
    if (next.length === 0) return;
    const f = document.createDocumentFragment();
    for (const v of next) this.fill(v);
    f.append(...next.map((v) => v.tr));
    this.tbody.append(f);
    if (this.pending.length > 0) requestAnimationFrame(() => this.drawMore(CHUNK));
    else this.onAllDrawn();
  }

  /** A change is coming: the rows of a first load that are not drawn yet go in first. */
  private drawRest(): void {
    if (this.pending.length > 0) this.drawMore(this.pending.length);
  }

  /** The first place in `order` whose row does not sort before `v`'s data (binary search). */
  private lowerBound(v: RowView): number {
    let lo = 0;
    let hi = this.order.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.cmp(this.order[mid]!.data, v.data) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Put a row (not in `order`) where the sort says, in the array and in the table. */
  private place(v: RowView): void {
    const lo = this.lowerBound(v);
    this.order.splice(lo, 0, v);
    this.fill(v);
    this.tbody.insertBefore(v.tr, this.order[lo + 1]?.tr ?? null);
  }

  private indexOf(v: RowView): number {
    const lo = this.lowerBound(v);
    return this.order[lo] === v ? lo : this.order.indexOf(v);
  }

  private show(v: RowView): void {
    const shown = this.passes(v.data.labels);
    v.shown = shown;
    if (v.tr.hidden === shown) v.tr.hidden = !shown;
  }

  private counts(): void {
    const total = this.rows.size;
    const shown = this.order.reduce((n, v) => n + (v.shown ? 1 : 0), 0);
    setText(this.count, this.filter === null ? `${total} device${total === 1 ? '' : 's'}` : `${shown} of ${total} devices match the selector`);
  }
}
