/**
 * The Devices table's columns: how each cell is drawn, what it compares on for "changed" (a cell
 * whose key is the same is not touched), and how the column sorts. Ties sort by device name, so
 * the order is total and a row's place can be found by binary search.
 */
import { clockTime, humanBytes } from '../format.js';
import type { DeviceRow } from '../wire.js';
import { el } from './dom.js';

export type SortKey = 'name' | 'labels' | 'ready' | 'lastSeen' | 'revision' | 'disk' | 'images' | 'freed';

export interface Column {
  key: SortKey;
  title: string;
  /** a number column (right-aligned) */
  numeric?: boolean;
  /** what the cell shows, as one string: the cell is drawn again only when it changes */
  changeKey(r: DeviceRow): string;
  draw(cell: HTMLTableCellElement, r: DeviceRow): void;
  /** the sort value: numbers, or strings compared naturally (node-9 before node-10) */
  value(r: DeviceRow): number | string;
}

export const labelText = (labels: Record<string, string>) => Object.entries(labels).map(([k, v]) => `${k}=${v}`).join(', ');

const plain = (text: (r: DeviceRow) => string) => (cell: HTMLTableCellElement, r: DeviceRow) => {
  cell.textContent = text(r);
};

// cells hold text where they can: at 1000 rows every element per row is 1000 more to style, lay out and paint

function drawReady(cell: HTMLTableCellElement, r: DeviceRow): void {
  cell.className = r.ready ? 'ok' : 'bad';
  cell.replaceChildren(r.ready ? 'Ready' : 'Not ready', ...(r.ready ? [] : [el('span', { class: 'why' }, r.reason)]));
  cell.title = r.reason;
}

function drawLastSeen(cell: HTMLTableCellElement, r: DeviceRow): void {
  cell.replaceChildren(el('time', { datetime: r.lastSeen }, clockTime(r.lastSeen)));
}

function drawDisk(cell: HTMLTableCellElement, r: DeviceRow): void {
  const d = r.disk;
  if (!d) {
    cell.replaceChildren();
    cell.title = 'not reported';
    return;
  }
  const parts: (Node | string)[] = [];
  if (d.percent !== null) {
    parts.push(el('meter', { min: 0, max: 100, value: d.percent.toFixed(1), low: d.low ?? undefined, high: d.high ?? undefined, optimum: 0, 'aria-hidden': 'true' }));
  }
  parts.push(d.text);
  if (d.high !== null) parts.push(el('span', { class: 'why' }, `≥ ${d.high}%${d.low !== null ? ` → < ${Math.round(d.low * 10) / 10}%` : ''}`));
  cell.className = d.pressure ? 'pressure' : '';
  cell.replaceChildren(...parts);
  cell.title = d.detail;
}

export const COLUMNS: readonly Column[] = [
  { key: 'name', title: 'Device', changeKey: (r) => r.name, draw: plain((r) => r.name), value: (r) => r.name },
  { key: 'labels', title: 'Labels', changeKey: (r) => labelText(r.labels), draw: plain((r) => labelText(r.labels) || '—'), value: (r) => labelText(r.labels) },
  { key: 'ready', title: 'Ready', changeKey: (r) => `${r.ready}\n${r.reason}`, draw: drawReady, value: (r) => (r.ready ? 1 : 0) },
  { key: 'lastSeen', title: 'Last seen', changeKey: (r) => r.lastSeen, draw: drawLastSeen, value: (r) => Date.parse(r.lastSeen) || 0 },
  { key: 'revision', title: 'Revision', numeric: true, changeKey: (r) => String(r.appliedRevision), draw: plain((r) => (r.appliedRevision === null ? '—' : String(r.appliedRevision))), value: (r) => r.appliedRevision ?? -1 },
  { key: 'disk', title: 'Disk used', changeKey: (r) => JSON.stringify(r.disk), draw: drawDisk, value: (r) => r.disk?.percent ?? -1 },
  { key: 'images', title: 'Images', numeric: true, changeKey: (r) => String(r.images), draw: plain((r) => String(r.images)), value: (r) => r.images },
  { key: 'freed', title: 'Freed (24 h)', numeric: true, changeKey: (r) => String(r.freed24h), draw: plain((r) => humanBytes(r.freed24h)), value: (r) => r.freed24h },
];

const collator = new Intl.Collator('en', { numeric: true, sensitivity: 'base' });

/** The comparison of a column, ascending (`dir` 1) or descending (-1), ties by name. */
export function comparator(col: Column, dir: 1 | -1): (a: DeviceRow, b: DeviceRow) => number {
  return (a, b) => {
    const x = col.value(a);
    const y = col.value(b);
    const c = typeof x === 'number' && typeof y === 'number' ? x - y : collator.compare(String(x), String(y));
    if (c !== 0) return c * dir;
    return collator.compare(a.name, b.name) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
  };
}
