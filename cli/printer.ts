/**
 * What `get` prints, kubectl's way: tables (one per resource type, `--no-headers`), `-o wide`,
 * `json`, `yaml`, `name`, `jsonpath=`/`jsonpath-file=`, `custom-columns=`/`custom-columns-file=`,
 * sorted with `--sort-by`.
 */
import { readFileSync } from 'node:fs';
import { CliError } from './client.js';
import { alignRows, customRows, parseCustomColumns, parseCustomColumnsFile, sortItems, type CustomColumn } from './columns.js';
import { jsonpathTemplate } from './jsonpath.js';
import { table, toJson, toYaml } from './output.js';
import type { Resource } from './resources.js';
import { columnsOf } from './tables.js';

export type Format =
  | { kind: 'table' | 'wide' | 'json' | 'yaml' | 'name' }
  | { kind: 'jsonpath'; render: (data: unknown) => string }
  | { kind: 'custom-columns'; columns: CustomColumn[] };

export const FORMATS = ['wide', 'json', 'yaml', 'name', 'jsonpath=', 'jsonpath-file=', 'custom-columns=', 'custom-columns-file='];

function readFlagFile(file: string, what: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new CliError(`error: cannot read the ${what} file ${file}: ${(err as Error).message}`);
  }
}

/** `-o` as kubectl takes it. */
export function parseFormat(o: string | undefined): Format {
  if (o === undefined) return { kind: 'table' };
  if (o === 'wide' || o === 'json' || o === 'yaml' || o === 'name') return { kind: o };
  const eq = o.indexOf('=');
  const [k, v] = eq < 0 ? [o, ''] : [o.slice(0, eq), o.slice(eq + 1)];
  if (k === 'jsonpath' || k === 'jsonpath-file') {
    if (!v) throw new CliError(`error: ${k} format specified but no template given: use -o ${k}=${k === 'jsonpath' ? "'{.items[*].metadata.name}'" : 'FILE'}`);
    return { kind: 'jsonpath', render: jsonpathTemplate(k === 'jsonpath' ? v : readFlagFile(v, 'jsonpath template')) };
  }
  if (k === 'custom-columns') return { kind: 'custom-columns', columns: parseCustomColumns(v) };
  if (k === 'custom-columns-file') {
    if (!v) throw new CliError('error: custom-columns-file format specified but no file given');
    return { kind: 'custom-columns', columns: parseCustomColumnsFile(readFlagFile(v, 'custom-columns'), v) };
  }
  throw new CliError(`error: unable to match a printer suitable for the output format ${JSON.stringify(o)}, allowed formats are: ${FORMATS.join(',')}`);
}

export interface Group {
  resource: Resource;
  items: unknown[];
}

export interface PrintOptions {
  format: Format;
  noHeaders?: boolean;
  sortBy?: string;
  /** one object was asked for by name: json, yaml and jsonpath print it, not a list */
  single?: boolean;
}

export const nameOf = (item: unknown) => (item as { metadata: { name: string } }).metadata.name;

/** The data json, yaml and jsonpath print. */
function document(groups: readonly Group[], single: boolean): unknown {
  if (single && groups.length === 1 && groups[0]!.items.length === 1) return groups[0]!.items[0];
  const items = groups.flatMap((g) => g.items);
  return { apiVersion: 'v1', kind: groups.length === 1 ? groups[0]!.resource.listKind : 'List', items };
}

/** Tables, one per resource type with items; the first column says the type when there are several. */
function tables(groups: readonly Group[], wide: boolean, noHeaders: boolean): string {
  const shown = groups.filter((g) => g.items.length > 0);
  return shown
    .map((g) => {
      const { headers, rows } = columnsOf(g.resource.name, g.items, wide);
      if (shown.length > 1) for (const r of rows) r[0] = `${g.resource.singular}/${r[0]}`;
      return noHeaders ? alignRows(rows) : table(headers, rows);
    })
    .join('\n');
}

/** Everything `get` prints for these groups. */
export async function render(input: readonly Group[], o: PrintOptions): Promise<string> {
  const groups = o.sortBy ? input.map((g) => ({ ...g, items: sortItems(g.items, o.sortBy!) })) : input;
  const f = o.format;
  switch (f.kind) {
    case 'json':
      return toJson(document(groups, o.single ?? false));
    case 'yaml':
      return toYaml(document(groups, o.single ?? false));
    case 'jsonpath':
      return f.render(document(groups, o.single ?? false));
    case 'name':
      return groups.flatMap((g) => g.items.map((i) => `${g.resource.singular}/${nameOf(i)}\n`)).join('');
    case 'custom-columns': {
      const rows = customRows(f.columns, groups.flatMap((g) => g.items));
      return o.noHeaders ? alignRows(rows) : table(f.columns.map((c) => c.header), rows);
    }
    default:
      return tables(groups, f.kind === 'wide', o.noHeaders ?? false);
  }
}
