/**
 * Images across the fleet: for a tag, digest, image ID or glob, the devices that hold it and in
 * which state, asked of the server (`/api/images?q=`, which has every device's inventory; the
 * page keeps only the table's rows). The answer is asked again when devices change while a query
 * is shown, at most every REFRESH_MS: an event-driven refresh, not a polling loop.
 */
import { clockTime, humanBytes } from '../format.js';
import type { ImageHolder, ImagesAnswer } from '../wire.js';
import { byId, el, setText } from './dom.js';

export const REFRESH_MS = 2_000;

/** `12 devices: 10 in-use, 2 idle; removed from 3` (pure). */
export function holdersSummary(items: readonly ImageHolder[]): string {
  const byState = new Map<string, Set<string>>();
  for (const i of items) {
    const s = byState.get(i.state) ?? new Set<string>();
    s.add(i.node);
    byState.set(i.state, s);
  }
  const removed = byState.get('removed')?.size ?? 0;
  byState.delete('removed');
  const holding = new Set(items.filter((i) => i.state !== 'removed').map((i) => i.node)).size;
  const states = [...byState.entries()].sort((a, b) => b[1].size - a[1].size).map(([s, n]) => `${n.size} ${s}`);
  const head = holding === 0 ? 'No selected device holds it' : `Held by ${holding} device${holding === 1 ? '' : 's'}${states.length ? `: ${states.join(', ')}` : ''}`;
  return `${head}${removed ? `; removed from ${removed}` : ''}.`;
}

export class ImagesView {
  private query = '';
  /** the rows shown, by what they read */
  private shown = new Map<string, HTMLTableRowElement>();
  private answer: ImagesAnswer | null = null;
  private asked = 0;
  private timer: number | null = null;
  private readonly input = byId<HTMLInputElement>('image-query');
  private readonly summary = byId('images-summary');
  private readonly tbody: HTMLTableSectionElement;
  private readonly table: HTMLTableElement;

  constructor(form: HTMLFormElement, private readonly passes: (node: string) => boolean) {
    this.table = byId<HTMLTableElement>('images-table');
    this.tbody = this.table.tBodies[0]!;
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      this.query = this.input.value.trim();
      void this.ask();
    });
  }

  /** Devices changed: ask again (soon) when a query is shown. */
  devicesChanged(): void {
    if (!this.query || this.timer !== null) return;
    const wait = Math.max(0, this.asked + REFRESH_MS - Date.now());
    this.timer = window.setTimeout(() => {
      this.timer = null;
      void this.ask();
    }, wait);
  }

  /** The label selector changed: show the same answer for the devices it picks. */
  refilter(): void {
    if (this.answer) this.show(this.answer);
  }

  private async ask(): Promise<void> {
    const q = this.query;
    this.asked = Date.now();
    if (!q) {
      this.answer = null;
      this.tbody.replaceChildren();
      this.table.hidden = true;
      setText(this.summary, '');
      return;
    }
    try {
      const r = await fetch(`/api/images?q=${encodeURIComponent(q)}`, { headers: { accept: 'application/json' } });
      if (!r.ok) throw new Error(`the server answered ${r.status}`);
      const a = (await r.json()) as ImagesAnswer;
      if (q === this.query) this.show(a);
    } catch (err) {
      setText(this.summary, `Could not ask the server: ${(err as Error).message}`);
    }
  }

  private show(a: ImagesAnswer): void {
    this.answer = a;
    if (a.error) {
      this.tbody.replaceChildren();
      this.table.hidden = true;
      setText(this.summary, `${a.query}: ${a.error}`);
      return;
    }
    const items = a.items.filter((i) => this.passes(i.node));
    setText(this.summary, `${a.query} (${a.kind === 'glob' ? 'glob' : 'reference'}): ${holdersSummary(items)}`);
    this.table.hidden = items.length === 0;
    // asked again as devices change: a row that reads the same is kept, and an unchanged list is not touched
    const kept = new Map<string, HTMLTableRowElement>();
    const trs = items.map((i) => {
      const sig = JSON.stringify(i);
      const tr = this.shown.get(sig) ?? holderRow(i);
      kept.set(sig, tr);
      return tr;
    });
    this.shown = kept;
    const now = this.tbody.children;
    if (trs.length !== now.length || trs.some((tr, k) => now[k] !== tr)) this.tbody.replaceChildren(...trs);
  }
}

function holderRow(i: ImageHolder): HTMLTableRowElement {
  return el('tr', { 'data-node': i.node, 'data-state': i.state },
    el('th', { scope: 'row' }, i.node),
    el('td', { title: i.id }, i.id.replace(/^sha256:/, '').slice(0, 12)),
    el('td', {}, i.tags.join(', ') || '—'),
    el('td', {}, el('span', { class: `state state-${i.state}` }, i.state)),
    el('td', { class: 'num' }, humanBytes(i.sizeBytes)),
    el('td', {}, i.lastUsedAt ? el('time', { datetime: i.lastUsedAt }, clockTime(i.lastUsedAt)) : '—'));
}
