/**
 * Kubernetes `apiextensions.k8s.io/v1` CustomResourceDefinitions generated from the same JSON Schemas
 * the CLI validates with, so the manifests can also live in a cluster. Pure.
 *
 * A CRD schema is OpenAPI v3 in its "structural" subset: a type on every node, no `$ref`, no
 * `additionalProperties: false` (the API server prunes unknown fields instead), no `const` (an
 * `enum` of one), a boolean `exclusiveMinimum`, no `propertyNames`, and a `metadata` that only
 * says it is an object. What the schema cannot say (durations, globs, label-key syntax) is checked
 * by imagectl itself.
 */
import { stringify } from 'yaml';
import { KINDS, type KindDef } from './kinds.js';
import { isIntOrString } from './structural.js';
import { API_VERSION } from './types.js';

type Node = Record<string, unknown>;

const isNode = (v: unknown): v is Node => v !== null && typeof v === 'object' && !Array.isArray(v);

export const GROUP = API_VERSION.split('/')[0]!;
export const VERSION = API_VERSION.split('/')[1]!;

/** Keywords of JSON Schema draft-07 that a structural CRD schema must not carry. */
export const CRD_FORBIDDEN = ['$schema', '$ref', '$id', 'id', 'title', 'definitions', '$defs', 'dependencies', 'patternProperties', 'additionalItems', 'const', 'propertyNames', 'if', 'then', 'else', 'contains'];

/** One schema node, JSON Schema draft-07 → Kubernetes structural OpenAPI v3. */
export function toOpenApi(s: Node): Node {
  const out: Node = isIntOrString(s) ? { 'x-kubernetes-int-or-string': true } : {};
  for (const [k, v] of Object.entries(s)) {
    switch (k) {
      case '$schema':
      case 'title':
      case 'propertyNames':
        break;
      case 'const':
        out.enum = [v];
        break;
      case 'exclusiveMinimum':
        out.minimum = v;
        out.exclusiveMinimum = true;
        break;
      case 'exclusiveMaximum':
        out.maximum = v;
        out.exclusiveMaximum = true;
        break;
      case 'additionalProperties':
        if (isNode(v)) out.additionalProperties = toOpenApi(v);
        break;
      case 'properties':
        out.properties = Object.fromEntries(Object.entries(v as Node).map(([name, p]) => [name, toOpenApi(p as Node)]));
        break;
      case 'items':
        out.items = toOpenApi(v as Node);
        break;
      default:
        out[k] = v;
    }
  }
  return out;
}

/** The root: apiVersion and kind are plain strings, metadata is the API server's to check. */
export function crdSchema(def: KindDef): Node {
  const root = toOpenApi(def.schema);
  const props = { ...(root.properties as Node) };
  for (const k of ['apiVersion', 'kind']) {
    const p = props[k] as Node;
    props[k] = { description: p.description, type: 'string' };
  }
  props.metadata = { type: 'object' };
  return { ...root, properties: props };
}

export function crdFor(def: KindDef): Node {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${def.plural}.${GROUP}`, labels: { 'app.kubernetes.io/part-of': 'imagectl' } },
    spec: {
      group: GROUP,
      scope: 'Cluster',
      names: { kind: def.kind, listKind: `${def.kind}List`, plural: def.plural, singular: def.singular, shortNames: def.shortNames, categories: ['imagectl'] },
      versions: [{ name: VERSION, served: true, storage: true, schema: { openAPIV3Schema: crdSchema(def) } }],
    },
  };
}

export const crdFileName = (def: KindDef) => `${def.plural}.${GROUP}.yaml`;

export function crdYaml(def: KindDef): string {
  return `# Generated from crd/${def.singular}/schema.json by \`npm run crds\` (imagectl crds). Do not edit.\n${stringify(crdFor(def), { lineWidth: 0 })}`;
}

/** Every kind's CRD, file name → YAML. */
export function allCrds(): Map<string, string> {
  return new Map(Object.values(KINDS).map((def) => [crdFileName(def), crdYaml(def)]));
}

/**
 * Why a CRD schema is not structural (empty when it is), following the API server's rules: a type
 * everywhere, no forbidden keywords, additionalProperties only as a schema and never next to
 * properties, a single items schema, a boolean exclusiveMinimum, a bare metadata.
 */
export function crdSchemaProblems(s: unknown, where = 'openAPIV3Schema', root = true): string[] {
  if (!isNode(s)) return [`${where}: not a schema object`];
  const out: string[] = [];
  for (const k of CRD_FORBIDDEN) if (k in s) out.push(`${where}: "${k}" is forbidden in a structural schema`);
  const intOrString = s['x-kubernetes-int-or-string'] === true && s.type === undefined;
  if (!intOrString && (typeof s.type !== 'string' || !['object', 'array', 'string', 'integer', 'number', 'boolean'].includes(s.type))) out.push(`${where}: needs a type`);
  if ('additionalProperties' in s && !isNode(s.additionalProperties)) out.push(`${where}: additionalProperties must be a schema (false is forbidden)`);
  if ('additionalProperties' in s && 'properties' in s) out.push(`${where}: additionalProperties and properties are mutually exclusive`);
  for (const k of ['exclusiveMinimum', 'exclusiveMaximum']) if (k in s && typeof s[k] !== 'boolean') out.push(`${where}: ${k} must be a boolean`);
  if (s.uniqueItems === true) out.push(`${where}: uniqueItems: true is forbidden`);
  if ('items' in s && !isNode(s.items)) out.push(`${where}: items must be a single schema`);
  if (s.type === 'array' && !isNode(s.items)) out.push(`${where}: an array needs items`);
  if (root) {
    if (s.type !== 'object') out.push(`${where}: the root must be an object`);
    const meta = (s.properties as Node | undefined)?.metadata;
    if (isNode(meta) && Object.keys(meta).some((k) => k !== 'type' && k !== 'properties')) out.push(`${where}.properties.metadata: only type (and restrictions on name) are allowed`);
  }
  for (const [k, p] of Object.entries(isNode(s.properties) ? s.properties : {})) {
    if (root && k === 'metadata') continue;
    out.push(...crdSchemaProblems(p, `${where}.properties.${k}`, false));
  }
  if (isNode(s.additionalProperties)) out.push(...crdSchemaProblems(s.additionalProperties, `${where}.additionalProperties`, false));
  if (isNode(s.items)) out.push(...crdSchemaProblems(s.items, `${where}.items`, false));
  return out;
}
