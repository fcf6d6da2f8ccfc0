import type { ErrorObject } from 'ajv';
import type { PathSegment } from './kinds.js';

export interface Problem {
  path: PathSegment[];
  message: string;
}

const DNS_LABEL = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$';
const LABEL_KEY =
  '^([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)*/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$';
const LABEL_VALUE = '^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$';

/** What a schema pattern means, in words; keyed by the pattern itself so the schema stays plain. */
export const PATTERN_HINTS: Record<string, string> = {
  [DNS_LABEL]: "must be a DNS-1123 label (lowercase letters, digits and '-')",
  [LABEL_KEY]:
    "must be a label key: an optional DNS subdomain prefix and '/', then a name of letters, digits, '-', '_' and '.' that starts and ends with a letter or digit",
  [LABEL_VALUE]: "must be a label value: letters, digits, '-', '_' and '.', starting and ending with a letter or digit",
  '^sha256:[a-f0-9]{64}$': 'must be sha256: followed by 64 lowercase hex digits',
  '^[A-Za-z_][A-Za-z0-9_]*$': "must be an environment variable name: letters, digits and '_', not starting with a digit",
};

export function jsonType(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v;
}

/** Split an ajv instancePath into segments, numbers where the data is an array. */
function pathOf(instancePath: string, data: unknown): PathSegment[] {
  const out: PathSegment[] = [];
  let cur = data;
  for (const raw of instancePath.split('/').slice(1)) {
    const seg = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    const key: PathSegment = Array.isArray(cur) ? Number(seg) : seg;
    out.push(key);
    cur = cur !== null && typeof cur === 'object' ? (cur as Record<string, unknown>)[seg] : undefined;
  }
  return out;
}

function valueAt(data: unknown, path: PathSegment[]): unknown {
  let cur = data;
  for (const seg of path) cur = cur !== null && typeof cur === 'object' ? (cur as Record<PathSegment, unknown>)[seg] : undefined;
  return cur;
}

/** The schema node a schemaPath such as `#/properties/spec/additionalProperties` sits in. */
function schemaNodeOf(schema: unknown, schemaPath: string): Record<string, unknown> | undefined {
  let cur = schema;
  for (const seg of schemaPath.split('/').slice(1, -1)) {
    cur = cur !== null && typeof cur === 'object' ? (cur as Record<string, unknown>)[seg] : undefined;
  }
  return cur !== null && typeof cur === 'object' ? (cur as Record<string, unknown>) : undefined;
}

function describeRule(e: ErrorObject): string {
  const p = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'pattern':
      return PATTERN_HINTS[p.pattern as string] ?? `must match the pattern ${p.pattern as string}`;
    case 'maxLength':
      return `must be at most ${p.limit as number} characters`;
    case 'minLength':
      return p.limit === 1 ? 'must not be empty' : `must be at least ${p.limit as number} characters`;
    default:
      return e.message ?? e.keyword;
  }
}

/** Turn ajv's errors into problems people can act on, each with the path of the offending node. */
export function translateAjvErrors(errors: ErrorObject[], data: unknown, schema: unknown): Problem[] {
  const out: Problem[] = [];
  for (const e of errors) {
    const path = pathOf(e.instancePath, data);
    const p = e.params as Record<string, unknown>;
    const value = valueAt(data, path);
    // a bad map key: ajv reports it on the map, with the key in `propertyName`
    if (e.propertyName !== undefined) {
      out.push({ path: [...path, e.propertyName], message: `invalid key ${JSON.stringify(e.propertyName)}: ${describeRule(e)}` });
      continue;
    }
    // an int-or-string value (anyOf of two types): one problem for the node, not one per branch
    if (e.schemaPath.includes('/anyOf/')) continue;
    switch (e.keyword) {
      case 'propertyNames':
        break; // reported by the errors carrying propertyName
      case 'anyOf': {
        const branches = (schemaNodeOf(schema, e.schemaPath)?.anyOf as { type?: string }[] | undefined) ?? [];
        out.push({ path, message: `must be ${branches.map((b) => b.type).join(' or ')}, got ${jsonType(value)}` });
        break;
      }
      case 'minimum':
      case 'maximum':
        out.push({ path, message: `must be ${e.keyword === 'minimum' ? 'at least' : 'at most'} ${p.limit as number}, got ${JSON.stringify(value)}` });
        break;
      case 'additionalProperties': {
        const known = Object.keys((schemaNodeOf(schema, e.schemaPath)?.properties as object | undefined) ?? {});
        const hint = known.length ? ` (known fields: ${known.join(', ')})` : '';
        out.push({ path: [...path, p.additionalProperty as string], message: `unknown field ${JSON.stringify(p.additionalProperty)}${hint}` });
        break;
      }
      case 'required':
        out.push({ path, message: `required field ${JSON.stringify(p.missingProperty)} is missing` });
        break;
      case 'type':
        // ajv rejects Infinity and NaN (YAML's .inf and .nan) as numbers
        if (typeof value === 'number' && String(p.type).includes('number')) {
          out.push({ path, message: `must be a finite number, got ${value}` });
        } else if (p.type === 'integer') {
          out.push({ path, message: `must be a whole number, got ${typeof value === 'number' ? value : jsonType(value)}` });
        } else out.push({ path, message: `must be ${String(p.type)}, got ${jsonType(value)}` });
        break;
      case 'enum':
        out.push({ path, message: `must be one of ${(p.allowedValues as unknown[]).map(String).join(', ')}, got ${JSON.stringify(value)}` });
        break;
      case 'const':
        out.push({ path, message: `must be ${JSON.stringify(p.allowedValue)}, got ${JSON.stringify(value)}` });
        break;
      case 'exclusiveMinimum':
        out.push({ path, message: `must be greater than ${p.limit as number}, got ${JSON.stringify(value)}` });
        break;
      default:
        out.push({ path, message: describeRule(e) });
    }
  }
  return out;
}
