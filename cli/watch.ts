/**
 * `get -w`: the agent's change feed (`/v1/watch`), printed as kubectl prints a watch: the current
 * objects, then a line (or an object) per change. Table rows keep the column widths of the first
 * batch, so they line up under its header. `wait` follows the same feed.
 */
import type { Client } from './client.js';
import { CliError } from './client.js';
import { alignRows, customRows, widthsOf } from './columns.js';
import { nameOf, type Format } from './printer.js';
import { toJson } from './output.js';
import type { Resource } from './resources.js';
import { columnsOf } from './tables.js';

export interface WatchEvent {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'SYNCED';
  object?: unknown;
}

/**
 * Follow the feed of `resource`; `onEvent` returns true to stop. Resolves when stopped; rejects
 * when the agent ends the watch (it stopped, or dropped this reader for not keeping up).
 */
export async function follow(client: Client, resource: Resource, o: { all?: boolean; signal?: AbortSignal }, onEvent: (e: WatchEvent) => boolean | void): Promise<void> {
  const stop = new AbortController();
  // `o.signal` gives up from outside (wait's --timeout): the follow rejects with its reason
  const giveUp = () => stop.abort();
  o.signal?.addEventListener('abort', giveUp);
  if (o.signal?.aborted) throw o.signal.reason;
  const q = new URLSearchParams({ kind: resource.watch, ...(o.all ? { all: 'true' } : {}) });
  let stopped = false;
  let failed: unknown = null;
  try {
    await client.stream(`/v1/watch?${q}`, (item) => {
      if (stopped) return;
      try {
        stopped = onEvent(item as WatchEvent) === true;
      } catch (err) {
        // never thrown out of the socket's data handler: it ends the watch, and follow rejects with it
        [stopped, failed] = [true, err];
      }
      if (stopped) stop.abort();
    }, 'GET', undefined, stop.signal);
  } catch (err) {
    if (o.signal?.aborted) throw o.signal.reason;
    if (!stopped && (err as { status?: number }).status === undefined && /closed the stream/.test((err as Error).message)) throw ended();
    if (!stopped) throw err;
  } finally {
    o.signal?.removeEventListener('abort', giveUp);
  }
  if (failed) throw failed;
  if (!stopped) throw ended();
}

const ended = () => new CliError('error: the watch ended: the agent closed the connection (it stopped, or this reader fell behind)');

export interface WatchPrintOptions {
  format: Format;
  noHeaders: boolean;
  /** --output-watch-events: say ADDED, MODIFIED or DELETED */
  events: boolean;
}

/** Turns watch events into output, kubectl's way for each format. */
export class WatchPrinter {
  private widths: number[] | null = null;
  private docs = 0;

  private constructor(private readonly resource: Resource, private readonly o: WatchPrintOptions, private readonly yaml: ((v: unknown) => string) | null) {}

  /** A printer; yaml is loaded first when it prints YAML, so that printing never waits. */
  static async create(resource: Resource, o: WatchPrintOptions): Promise<WatchPrinter> {
    const yaml = o.format.kind === 'yaml' ? (await import('yaml')).stringify : null;
    return new WatchPrinter(resource, o, yaml && ((v) => yaml(v, { lineWidth: 0 })));
  }

  private rowsOf(items: unknown[]): { headers: string[]; rows: string[][] } {
    const f = this.o.format;
    if (f.kind === 'custom-columns') return { headers: f.columns.map((c) => c.header), rows: customRows(f.columns, items) };
    return columnsOf(this.resource.name, items, f.kind === 'wide');
  }

  /** Output for a batch of events (the initial list is one batch). */
  print(events: readonly { type: string; object: unknown }[]): string {
    const f = this.o.format;
    if (f.kind === 'table' || f.kind === 'wide' || f.kind === 'custom-columns') {
      const { headers, rows } = this.rowsOf(events.map((e) => e.object));
      const withType = (r: string[], t: string) => (this.o.events ? [t, ...r] : r);
      const lines = rows.map((r, i) => withType(r, events[i]!.type));
      let out = '';
      if (this.widths === null) {
        const head = withType(headers, 'EVENT');
        this.widths = widthsOf(this.o.noHeaders ? lines : [head, ...lines]);
        if (!this.o.noHeaders) out += alignRows([head], this.widths);
      }
      // a wider value widens its column from then on (the rows before it stay as they were printed)
      this.widths = widthsOf([this.widths.map((n) => ' '.repeat(n)), ...lines]);
      return out + alignRows(lines, this.widths);
    }
    let out = '';
    for (const e of events) out += this.one(e.type, e.object);
    return out;
  }

  private one(type: string, object: unknown): string {
    const f = this.o.format;
    const data = this.o.events ? { type, object } : object;
    if (f.kind === 'name') return `${this.o.events ? `${type} ` : ''}${this.resource.singular}/${nameOf(object)}\n`;
    if (f.kind === 'json') return toJson(data);
    if (f.kind === 'yaml') return `${this.docs++ > 0 ? '---\n' : ''}${this.yaml!(data)}`;
    if (f.kind === 'jsonpath') return f.render(data);
    return '';
  }
}
