/**
 * The subset of JSON Schema that stays "structural" in the Kubernetes sense, so the same schema can
 * generate an apiextensions.k8s.io/v1 CRD and drive `explain`: every node has a type, every
 * property a description, no $ref, and junctors (oneOf, anyOf, allOf, not) only constrain values.
 * One exception, Kubernetes' own: an int-or-string value (a quantity such as `10Gi` or a number)
 * is written `anyOf: [{type: integer}, {type: string}]` without a type of its own, and becomes
 * `x-kubernetes-int-or-string: true` in the CRD.
 */
const FORBIDDEN = ['$ref', 'definitions', '$defs', 'patternProperties', 'dependencies', 'additionalItems', 'if', 'then', 'else'];
const JUNCTORS = ['oneOf', 'anyOf', 'allOf'];
const NOT_IN_JUNCTORS = ['type', 'description', 'default', 'additionalProperties', 'properties', 'items'];

type Node = Record<string, unknown>;

const isNode = (v: unknown): v is Node => v !== null && typeof v === 'object' && !Array.isArray(v);

/** `anyOf: [{type: integer}, {type: string}]` and no type: Kubernetes' int-or-string. */
export function isIntOrString(s: Node): boolean {
  const a = s.anyOf;
  return s.type === undefined && Array.isArray(a) && a.length === 2 && JSON.stringify(a) === '[{"type":"integer"},{"type":"string"}]';
}

export function structuralProblems(schema: unknown, where = '#'): string[] {
  const out: string[] = [];
  if (!isNode(schema)) return [`${where}: not a schema object`];
  for (const k of FORBIDDEN) if (k in schema) out.push(`${where}: "${k}" is not allowed`);
  if (typeof schema.description !== 'string' || schema.description === '') out.push(`${where}: needs a "description"`);
  if (isIntOrString(schema)) return out;
  if (typeof schema.type !== 'string') out.push(`${where}: needs a single "type"`);
  for (const j of [...JUNCTORS, 'not']) {
    const branches = j === 'not' ? [schema.not] : schema[j];
    if (branches === undefined) continue;
    if (!Array.isArray(branches)) {
      out.push(`${where}/${j}: must be a list of schemas`);
      continue;
    }
    branches.forEach((b, i) => {
      if (!isNode(b)) return;
      for (const k of NOT_IN_JUNCTORS) if (k in b) out.push(`${where}/${j}/${i}: "${k}" is not allowed inside ${j}`);
    });
  }
  if (schema.type === 'object') {
    const props = schema.properties;
    const extra = schema.additionalProperties;
    if (props !== undefined && isNode(extra)) out.push(`${where}: properties and an additionalProperties schema exclude each other`);
    if (props === undefined && !isNode(extra)) out.push(`${where}: an object needs properties or an additionalProperties schema`);
    if (isNode(props)) for (const [k, v] of Object.entries(props)) out.push(...structuralProblems(v, `${where}/properties/${k}`));
    if (isNode(extra)) out.push(...structuralProblems(extra, `${where}/additionalProperties`));
    if (schema.propertyNames !== undefined) out.push(...structuralProblems(schema.propertyNames, `${where}/propertyNames`));
  } else if (schema.type === 'array') {
    if (!isNode(schema.items)) out.push(`${where}: an array needs a single "items" schema`);
    else out.push(...structuralProblems(schema.items, `${where}/items`));
  } else {
    for (const k of ['properties', 'additionalProperties', 'items', 'propertyNames']) {
      if (k in schema) out.push(`${where}: "${k}" does not belong to type ${String(schema.type)}`);
    }
  }
  return out;
}
