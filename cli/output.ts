/** kubectl-style output: aligned tables, -o json|yaml|name, human times and sizes. */
import { CliError } from './client.js';
import { escapeControls } from '../crd/api/text.js';

export type OutputFormat = 'table' | 'wide' | 'json' | 'yaml' | 'name';

export function parseOutput(o: string | undefined, allowed: OutputFormat[] = ['wide', 'json', 'yaml', 'name']): OutputFormat {
  if (o === undefined) return 'table';
  if (!allowed.includes(o as OutputFormat)) throw new CliError(`unknown output format ${JSON.stringify(o)}; use one of: ${allowed.join(', ')}`);
  return o as OutputFormat;
}

/**
 * A value as it may be printed on a terminal: control characters (ESC, BEL, newline, …) and bidi
 * controls become visible escapes (`\n`, `\x1b`, `\u202e`), so a value can neither break a table's
 * lines nor send the terminal commands (the agent escapes what it records the same way).
 */
export const printable = escapeControls;

/** A message of several lines, each made printable (its line breaks kept). */
export const printableLines = (s: string) => s.split('\n').map(printable).join('\n');

/** Cells padded to the column widths, three spaces apart; the last column is not padded. */
function tableLine(cells: readonly string[], widths: readonly number[]): string {
  return cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('   ').trimEnd();
}

/** An aligned table, kubectl's way: every cell made printable, columns as wide as their widest cell. */
export function table(headers: string[], rows: string[][]): string {
  const t = new StreamTable(headers);
  for (const r of rows) t.add(r);
  return t.flush();
}

/**
 * A table whose rows arrive over time (`audit`, `audit -f`). Rows are held until `flush`, which
 * returns them, after the header the first time, with the columns as wide as the widest cell seen so
 * far: what was printed is never reflowed, and a wider cell widens the columns from then on.
 */
export class StreamTable {
  private readonly widths: number[];
  private pending: string[][] = [];
  private started = false;

  constructor(private readonly headers: readonly string[]) {
    this.widths = headers.map((h) => h.length);
  }

  get held(): number {
    return this.pending.length;
  }

  add(row: readonly string[]): void {
    const cells = row.map(printable);
    cells.forEach((c, i) => (this.widths[i] = Math.max(this.widths[i] ?? 0, c.length)));
    this.pending.push(cells);
  }

  flush(): string {
    const lines = this.started ? [] : [tableLine(this.headers, this.widths)];
    this.started = true;
    for (const r of this.pending) lines.push(tableLine(r, this.widths));
    this.pending = [];
    return lines.length ? `${lines.join('\n')}\n` : '';
  }
}

export function toJson(v: unknown): string {
  return `${JSON.stringify(v, null, 2)}\n`;
}

/** yaml is loaded only when YAML is printed: most commands never do. */
export async function toYaml(v: unknown): Promise<string> {
  const { stringify } = await import('yaml');
  return stringify(v, { lineWidth: 0 });
}

/** `5s`, `3m`, `2h`, `4d` (kubectl's AGE style). */
export function shortDuration(ms: number): string {
  const s = Math.floor(Math.abs(ms) / 1000);
  if (s < 120) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 120) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h}h`;
  return `${Math.floor(h / 24)}d`;
}

export function ago(iso: string | null, now = Date.now()): string {
  if (!iso) return '<none>';
  return `${shortDuration(now - Date.parse(iso))} ago`;
}

export function until(iso: string | null, now = Date.now()): string {
  if (!iso) return '<none>';
  const d = Date.parse(iso) - now;
  return d <= 0 ? 'now' : `in ${shortDuration(d)}`;
}

export function bytes(n: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let i = 0;
  let v = n;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${i === 0 ? v : v.toFixed(v < 10 ? 2 : 1)}${units[i]}`;
}

export const shortId = (id: string) => id.replace(/^sha256:/, '').slice(0, 12);

/** `Key:   value` lines with the values aligned, like `kubectl describe`. */
export function fields(pairs: [string, string][], indent = ''): string {
  const w = Math.max(...pairs.map(([k]) => k.length)) + 2;
  return pairs.map(([k, v]) => `${indent}${`${k}:`.padEnd(w)}${printable(v)}`).join('\n') + '\n';
}

/** Indent every non-empty line (for tables nested under a heading). */
export function indent(text: string, by = '  '): string {
  return text.replace(/^(?=.)/gm, by);
}
