import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv, type ValidateFunction } from 'ajv';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { allCrds, crdFileName, crdSchemaProblems, toOpenApi } from './crdgen.js';
import { KINDS } from './kinds.js';
import { SetParser } from './load.js';
import { formatManifestError } from './types.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const GENERATED = join(ROOT, 'crd', 'generated');
const MANIFESTS = join(ROOT, 'manifests');

interface Crd {
  apiVersion: string;
  kind: string;
  metadata: { name: string };
  spec: { group: string; scope: string; names: { kind: string; plural: string }; versions: { name: string; served: boolean; storage: boolean; schema: { openAPIV3Schema: Record<string, unknown> } }[] };
}

const onDisk = (file: string) => parse(readFileSync(join(GENERATED, file), 'utf8')) as Crd;

/** A validator for the OpenAPI v3 subset of CRD schemas: exclusiveMinimum is a boolean there. */
function crdValidator(schema: Record<string, unknown>): ValidateFunction {
  const ajv = new Ajv({ strict: false, allErrors: true, meta: false, validateSchema: false });
  for (const [kw, bound] of [['exclusiveMinimum', 'minimum'], ['exclusiveMaximum', 'maximum']] as const) {
    ajv.removeKeyword(kw);
    ajv.addKeyword({
      keyword: kw,
      type: 'number',
      schemaType: 'boolean',
      errors: false,
      validate: (exclusive: boolean, data: number, parent?: Record<string, number>) =>
        !exclusive || parent?.[bound] === undefined || (kw === 'exclusiveMinimum' ? data > parent[bound]! : data < parent[bound]!),
    });
  }
  return ajv.compile(schema);
}

function manifestFiles(dir: string): string[] {
  return readdirSync(dir).sort().flatMap((n) => {
    const p = join(dir, n);
    // manifests/prometheus/ holds Prometheus alert rules for the agent's metrics, not imagectl manifests
    if (p === join(MANIFESTS, 'prometheus')) return [];
    return statSync(p).isDirectory() ? manifestFiles(p) : /\.(ya?ml|json)$/.test(n) ? [p] : [];
  });
}

describe('generated CustomResourceDefinitions', () => {
  it('are up to date in crd/generated/ (run npm run crds after changing a schema)', () => {
    const want = allCrds();
    expect(readdirSync(GENERATED).sort()).toEqual([...want.keys()].sort());
    for (const [file, text] of want) expect(readFileSync(join(GENERATED, file), 'utf8'), file).toBe(text);
  });

  it.each(Object.values(KINDS))('$kind: a real apiextensions.k8s.io/v1 CRD with a structural schema', (def) => {
    const crd = onDisk(crdFileName(def));
    expect(crd).toMatchObject({
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: `${def.plural}.imagectl.dev` },
      spec: { group: 'imagectl.dev', scope: 'Cluster', names: { kind: def.kind, plural: def.plural, singular: def.singular } },
    });
    expect(crd.spec.versions).toHaveLength(1);
    const v = crd.spec.versions[0]!;
    expect(v).toMatchObject({ name: 'v1alpha1', served: true, storage: true });
    expect(crdSchemaProblems(v.schema.openAPIV3Schema)).toEqual([]);
    // every node is typed and documented
    const walk = (s: Record<string, unknown>, where: string): string[] => [
      ...(typeof s.type === 'string' || s['x-kubernetes-int-or-string'] === true ? [] : [`${where}: no type`]),
      ...(where === 'metadata' || typeof s.description === 'string' ? [] : [`${where}: no description`]),
      ...Object.entries((s.properties ?? {}) as Record<string, Record<string, unknown>>).flatMap(([k, p]) => walk(p, k)),
      ...(s.items ? walk(s.items as Record<string, unknown>, `${where}[]`) : []),
      ...(s.additionalProperties ? walk(s.additionalProperties as Record<string, unknown>, `${where}{}`) : []),
    ];
    expect(walk(v.schema.openAPIV3Schema, 'root')).toEqual([]);
  });

  it('every example in manifests/ (Open Horizon ones converted) validates against the generated CRD schemas', async () => {
    const files = manifestFiles(MANIFESTS);
    expect(files.length).toBeGreaterThanOrEqual(4);
    const set = new SetParser();
    for (const file of files) set.add({ file, data: readFileSync(file) });
    const r = set.finish();
    if (!r.ok) throw new Error(r.errors.map(formatManifestError).join('\n'));
    const validators = new Map(Object.values(KINDS).map((def) => [def.kind, crdValidator(onDisk(crdFileName(def)).spec.versions[0]!.schema.openAPIV3Schema)]));
    const kinds = new Set<string>();
    for (const { object, source } of r.objects) {
      const validate = validators.get(object.kind)!;
      expect(validate(object), `${source.file}:${source.line} ${JSON.stringify(validate.errors)}`).toBe(true);
      kinds.add(object.kind);
    }
    expect([...kinds].sort()).toEqual(['ImagePolicy', 'Workload']);
  });

  it('the CRD validator is real: it rejects wrong types, enums and ranges', () => {
    const validate = crdValidator(onDisk(crdFileName(KINDS.ImagePolicy!)).spec.versions[0]!.schema.openAPIV3Schema);
    const base = { apiVersion: 'imagectl.dev/v1alpha1', kind: 'ImagePolicy', metadata: { name: 'x' } };
    expect(validate({ ...base, spec: { removal: [{ imageName: 'a:*', deleteAfterMinutes: 5 }] } })).toBe(true);
    expect(validate({ ...base, spec: { removal: [{ imageName: 'a:*', deleteAfterMinutes: 0 }] } })).toBe(false);
    expect(validate({ ...base, spec: { removal: [{ imageName: 5 }] } })).toBe(false);
    expect(validate({ ...base, spec: { nodeSelector: { matchExpressions: [{ key: 'a', operator: 'Near' }] } } })).toBe(false);
    expect(validate({ ...base, spec: { diskPressure: { highThresholdPercent: 90, lowThresholdPercent: 85, minAge: '10m' } } })).toBe(true);
    expect(validate({ ...base, spec: { diskPressure: { highThresholdPercent: 100 } } })).toBe(false);
    expect(validate({ ...base, spec: { diskPressure: { maxImageBytes: '10Gi', targetImageBytes: 8589934592 } } })).toBe(true);
  });

  it('diskPressure byte sizes are Kubernetes int-or-string values', () => {
    const dp = (onDisk(crdFileName(KINDS.ImagePolicy!)).spec.versions[0]!.schema.openAPIV3Schema as any).properties.spec.properties.diskPressure.properties;
    expect(dp.maxImageBytes).toMatchObject({ 'x-kubernetes-int-or-string': true, anyOf: [{ type: 'integer' }, { type: 'string' }] });
    expect(dp.maxImageBytes.type).toBeUndefined();
    expect(crdSchemaProblems({ type: 'object', properties: { q: { description: 'q', 'x-kubernetes-int-or-string': true } } })).toEqual([]);
  });
});

describe('structural-schema checks', () => {
  it('convert const, exclusiveMinimum, additionalProperties: false and propertyNames', () => {
    expect(toOpenApi({ type: 'object', description: 'd', additionalProperties: false, propertyNames: { type: 'string' }, properties: { k: { type: 'string', const: 'x', description: 'k' }, n: { type: 'number', exclusiveMinimum: 0, description: 'n' } } })).toEqual({
      type: 'object', description: 'd', properties: { k: { type: 'string', enum: ['x'], description: 'k' }, n: { type: 'number', minimum: 0, exclusiveMinimum: true, description: 'n' } },
    });
  });

  it('report what the API server would reject', () => {
    const bad = {
      type: 'object',
      properties: {
        metadata: { type: 'object', properties: {}, description: 'no' },
        untyped: { description: 'x' },
        closed: { type: 'object', additionalProperties: false, properties: {} },
        both: { type: 'object', additionalProperties: { type: 'string' }, properties: {} },
        constant: { type: 'string', const: 'x' },
        tuple: { type: 'array', items: [{ type: 'string' }] },
        numeric: { type: 'number', exclusiveMinimum: 0 },
        ref: { type: 'string', $ref: '#/x' },
      },
    };
    expect(crdSchemaProblems(bad)).toEqual([
      'openAPIV3Schema.properties.metadata: only type (and restrictions on name) are allowed',
      'openAPIV3Schema.properties.untyped: needs a type',
      'openAPIV3Schema.properties.closed: additionalProperties must be a schema (false is forbidden)',
      'openAPIV3Schema.properties.closed: additionalProperties and properties are mutually exclusive',
      'openAPIV3Schema.properties.both: additionalProperties and properties are mutually exclusive',
      'openAPIV3Schema.properties.constant: "const" is forbidden in a structural schema',
      'openAPIV3Schema.properties.tuple: items must be a single schema',
      'openAPIV3Schema.properties.tuple: an array needs items',
      'openAPIV3Schema.properties.numeric: exclusiveMinimum must be a boolean',
      'openAPIV3Schema.properties.ref: "$ref" is forbidden in a structural schema',
    ]);
  });
});
