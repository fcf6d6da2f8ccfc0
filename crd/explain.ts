/**
 * `imagectl explain imagepolicy.spec.removal`: field documentation from the schema descriptions, in
 * kubectl's layout. Pure.
 */
import { findKind, KINDS } from './kinds.js';
import { isIntOrString } from './structural.js';
import { API_VERSION } from './types.js';

type Node = Record<string, unknown>;

const isNode = (v: unknown): v is Node => v !== null && typeof v === 'object' && !Array.isArray(v);

/** kubectl's type names: `<string>`, `<[]Object>`, `<map[string]string>`. */
export function typeName(s: Node): string {
  if (isIntOrString(s)) return 'IntOrString';
  switch (s.type) {
    case 'object':
      return isNode(s.properties) || !isNode(s.additionalProperties) ? 'Object' : `map[string]${typeName(s.additionalProperties)}`;
    case 'array':
      return `[]${isNode(s.items) ? typeName(s.items) : 'Object'}`;
    default:
      return String(s.type);
  }
}

function wrap(text: string, indent: string, width = 80): string {
  const out: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line && indent.length + line.length + 1 + word.length > width) {
      out.push(indent + line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) out.push(indent + line);
  return out.join('\n');
}

/** The schema of a field's value, looking through arrays to their items. */
function fieldsOf(s: Node): Node | undefined {
  if (s.type === 'array' && isNode(s.items)) return fieldsOf(s.items);
  if (s.type === 'object' && isNode(s.properties)) return s.properties;
  return undefined;
}

function extras(s: Node): string {
  const item = s.type === 'array' && isNode(s.items) ? s.items : s;
  const parts: string[] = [];
  if (Array.isArray(item.enum)) parts.push(`allowed values: ${item.enum.join(', ')}`);
  if (s.default !== undefined) parts.push(`default: ${JSON.stringify(s.default)}`);
  return parts.length ? ` (${parts.join('; ')})` : '';
}

function fieldList(parent: Node, indent: string, recursive: boolean): string {
  const props = fieldsOf(parent);
  if (!props) return '';
  const required = new Set((parent.type === 'array' && isNode(parent.items) ? parent.items.required : parent.required) as string[] | undefined);
  let out = '';
  for (const [name, raw] of Object.entries(props)) {
    if (!isNode(raw)) continue;
    out += `${indent}${name}\t<${typeName(raw)}>${required.has(name) ? ' -required-' : ''}\n`;
    if (recursive) out += fieldList(raw, `${indent}  `, true);
    else out += `${wrap(`${String(raw.description ?? '')}${extras(raw)}`, `${indent}  `)}\n\n`;
  }
  return out;
}

export type ExplainResult = { ok: true; text: string } | { ok: false; error: string };

/** Explain `kind[.field[.field...]]`, e.g. `imagepolicy.spec.removal`. */
export function explain(path: string, opts: { recursive?: boolean } = {}): ExplainResult {
  const [kindName, ...fields] = path.split('.');
  const def = kindName ? findKind(kindName) : undefined;
  if (!def) return { ok: false, error: `the server doesn't have a resource type ${JSON.stringify(kindName ?? '')} (known: ${Object.values(KINDS).map((k) => k.singular).join(', ')})` };
  let node: Node = def.schema;
  const walked = [def.singular];
  for (const f of fields) {
    const props = fieldsOf(node);
    const next = props?.[f];
    if (!isNode(next)) return { ok: false, error: `field ${JSON.stringify(f)} does not exist in ${walked.join('.')}${props ? ` (fields: ${Object.keys(props).join(', ')})` : ''}` };
    node = next;
    walked.push(f);
  }
  let text = `KIND:       ${def.kind}\nVERSION:    ${API_VERSION}\n\n`;
  if (fields.length > 0) text += `FIELD: ${fields.at(-1)} <${typeName(node)}>${extras(node)}\n\n`;
  text += `DESCRIPTION:\n${wrap(String(node.description ?? '<empty>'), '    ')}\n`;
  const list = fieldList(node, '  ', opts.recursive ?? false);
  if (list) text += `\nFIELDS:\n${list.replace(/\n+$/, '\n')}`;
  return { ok: true, text };
}
