/**
 * kubectl's `-o custom-columns=NAME:.path,...` and `-o custom-columns-file=FILE` (a line of
 * headers over a line of paths), `--sort-by=PATH`, and the aligned rows that `--no-headers` and
 * `get -w` print.
 */
import { CliError } from './client.js';
import { evalPath, relaxedPath, show } from './jsonpath.js';
import { printable } from './output.js';

export interface CustomColumn {
  header: string;
  path: string;
}

/** `NAME:.metadata.name,STATE:.status.state` */
export function parseCustomColumns(spec: string): CustomColumn[] {
  if (!spec.trim()) throw new CliError('error: custom-columns format specified but no custom columns given');
  return spec.split(',').map((part) => {
    const i = part.indexOf(':');
    if (i <= 0 || i === part.length - 1) throw new CliError(`error: unexpected custom-columns spec: ${part}, expected <header>:<json-path-expr>`);
    const path = relaxedPath(part.slice(i + 1));
    evalPath(path, {}); // a bad path fails before anything prints
    return { header: part.slice(0, i), path };
  });
}

/** The custom-columns-file form: headers on one line, the paths under them on the next. */
export function parseCustomColumnsFile(text: string, file: string): CustomColumn[] {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  if (lines.length !== 2) throw new CliError(`error: ${file}: unexpected custom-columns file: want 2 lines (headers, then paths), got ${lines.length}`);
  const headers = lines[0]!.trim().split(/\s+/);
  const paths = lines[1]!.trim().split(/\s+/);
  if (headers.length !== paths.length) throw new CliError(`error: ${file}: ${headers.length} headers but ${paths.length} paths`);
  return headers.map((header, i) => ({ header, path: relaxedPath(paths[i]!) }));
}

/** One cell: every value the path selects, comma-separated; `<none>` when there is none. */
function cell(item: unknown, path: string): string {
  const values = evalPath(path, item).filter((v) => v !== undefined && v !== null);
  return values.length === 0 ? '<none>' : values.map(show).join(',');
}

export function customRows(cols: readonly CustomColumn[], items: readonly unknown[]): string[][] {
  return items.map((item) => cols.map((c) => cell(item, c.path)));
}

/** Rows aligned as kubectl's tables are (3 spaces between columns), `widths` at least; cells made printable. */
export function alignRows(rows: readonly string[][], widths: readonly number[] = []): string {
  const cells = rows.map((r) => r.map(printable));
  const w = widthsOf([widths.map((n) => ' '.repeat(n)), ...cells]);
  return cells.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(w[i]!))).join('   ').trimEnd() + '\n').join('');
}

/** The column widths of `rows`. */
export function widthsOf(rows: readonly string[][]): number[] {
  const w: number[] = [];
  for (const r of rows) r.forEach((c, i) => (w[i] = Math.max(w[i] ?? 0, c.length)));
  return w;
}

type Sortable = { kind: 'number'; v: number } | { kind: 'string'; v: string } | { kind: 'none' };

function sortKey(item: unknown, path: string): Sortable {
  const v = evalPath(path, item)[0];
  if (typeof v === 'number') return { kind: 'number', v };
  if (v === undefined || v === null) return { kind: 'none' };
  return { kind: 'string', v: show(v) };
}

/** `--sort-by=PATH`: numbers by value, anything else as text; items without the field first. */
export function sortItems<T>(items: readonly T[], by: string): T[] {
  const path = relaxedPath(by);
  const keyed = items.map((item) => ({ item, key: sortKey(item, path) }));
  keyed.sort((a, b) => {
    if (a.key.kind === 'none' || b.key.kind === 'none') return Number(b.key.kind === 'none') - Number(a.key.kind === 'none');
    if (a.key.kind === 'number' && b.key.kind === 'number') return a.key.v - b.key.v;
    const x = String(a.key.v);
    const y = String(b.key.v);
    return x < y ? -1 : x > y ? 1 : 0;
  });
  return keyed.map((k) => k.item);
}
