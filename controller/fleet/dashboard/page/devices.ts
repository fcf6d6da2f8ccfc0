/**
 * The Devices table. Rows are patched, never redrawn wholesale: a change touches only the cells
 * whose content changed, and a row whose sort value changed moves to its new place (found by
 * binary search in the sorted order) instead of the table being sorted again. Filtering by label
 * selector hides rows. Sorting is by the header buttons (keyboard: Tab to a header, Enter or
 * Space); `aria-sort` tells assistive technology which column sorts and how.
 */
import { matchesSelector, type Requirement } from '../../../../crd/fields/label-selector.js';
import type { DeviceRow } from '../wire.js';
import { COLUMNS, comparator, type Column, type SortKey } from './columns.js';
import { el, setText } from './dom.js';

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

  constructor(private readonly table: HTMLTableElement, private readonly count: HTMLElement, private readonly onChange: () => void) {
    this.tbody = table.tBodies[0] ?? table.appendChild(el('tbody'));
    this.header();
  }

  /** The rows the filter selects. */
  selected(): DeviceRow[] {
    return this.order.filter((v) => v.shown).map((v) => v.data);
  }

  /** Apply a batch: new and changed rows, removed names; `all`: the batch is the whole fleet (a snapshot). */
  apply(upsert: Iterable<DeviceRow>, remove: Iterable<string>, all = false): void {
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

  private create(r: DeviceRow): RowView {
    const cells = COLUMNS.map((c, i) => {
      const cell = i === 0 ? el('th', { scope: 'row' }) : el('td', { class: c.numeric ? 'num' : null });
      c.draw(cell, r);
      return cell;
    });
    const tr = el('tr', { 'data-node': r.name }, ...cells);
    const v: RowView = { data: r, tr, cells, keys: COLUMNS.map((c) => c.changeKey(r)), shown: true };
    this.rows.set(r.name, v);
    this.show(v);
    return v;
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

  /** New rows: one fragment when the table is empty (the first paint), else each in its place. */
  private insert(fresh: RowView[]): void {
    if (fresh.length === 0) return;
    if (this.order.length === 0) {
      const cmp = this.cmp;
      this.order = fresh.sort((a, b) => cmp(a.data, b.data));
      const f = document.createDocumentFragment();
      f.append(...this.order.map((v) => v.tr));
      this.tbody.append(f);
      return;
    }
    for (const v of fresh) this.place(v);
  }

  /** Put a row (not in `order`) where the sort says, in the array and in the table. */
  private place(v: RowView): void {
    let lo = 0;
    let hi = this.order.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.cmp(this.order[mid]!.data, v.data) < 0) lo = mid + 1;
      else hi = mid;
    }
    this.order.splice(lo, 0, v);
    this.tbody.insertBefore(v.tr, this.order[lo + 1]?.tr ?? null);
  }

  private indexOf(v: RowView): number {
    let lo = 0;
    let hi = this.order.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.cmp(this.order[mid]!.data, v.data) < 0) lo = mid + 1;
      else hi = mid;
    }
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
