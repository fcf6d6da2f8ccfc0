import type { ErrorObject } from 'ajv';
import type { Manifest } from './api/object.js';
import { API_VERSION } from './types.js';
import { KINDS, type KindDef, type PathSegment } from './kinds.js';
import { jsonType, translateAjvErrors, type Problem } from './ajv-errors.js';
import * as generated from './precompiled/manifest-validators.js';

export type { Problem } from './ajv-errors.js';

/** A schema validator as ajv compiles it: true or false, and its errors on the function. */
export type SchemaValidator = ((data: unknown) => boolean) & { errors?: ErrorObject[] | null };

/**
 * Each kind's schema, precompiled by crd/precompiled/generate.ts (ajv's standalone code, the same
 * functions ajv would compile): no ajv and no schema compilation at run time.
 */
const VALIDATORS: Record<string, SchemaValidator | undefined> = generated;

function validatorFor(def: KindDef): SchemaValidator {
  const v = VALIDATORS[def.kind];
  if (!v) throw new Error(`no precompiled validator for kind ${def.kind}: run npm run validators`);
  return v;
}

/** Problems with apiVersion and kind, checked before a schema can be chosen. */
function headerProblems(obj: Record<string, unknown>): Problem[] {
  const out: Problem[] = [];
  if (!('apiVersion' in obj)) out.push({ path: [], message: 'required field "apiVersion" is missing' });
  else if (obj.apiVersion !== API_VERSION) {
    out.push({ path: ['apiVersion'], message: `must be ${JSON.stringify(API_VERSION)}, got ${JSON.stringify(obj.apiVersion)}` });
  }
  const known = Object.keys(KINDS).join(', ');
  if (!('kind' in obj)) out.push({ path: [], message: `required field "kind" is missing (known kinds: ${known})` });
  else if (typeof obj.kind !== 'string') out.push({ path: ['kind'], message: `must be string, got ${jsonType(obj.kind)}` });
  else out.push({ path: ['kind'], message: `unknown kind ${JSON.stringify(obj.kind)} (known kinds: ${known})` });
  return out;
}

/**
 * Where JSON becomes a manifest type: an object that passed its kind's schema is that kind's type,
 * for the types are generated from the same schemas as the validators (crd/precompiled/).
 */
function passesSchema(validate: SchemaValidator, obj: unknown): obj is Manifest {
  return validate(obj);
}

export type CheckResult = { ok: true; manifest: Manifest } | { ok: false; problems: Problem[] };

/** Check one manifest object: shape, then its kind's schema, then its kind's semantic checks. */
export function checkManifest(obj: unknown): CheckResult {
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) {
    return { ok: false, problems: [{ path: [], message: `a manifest must be a mapping (object), got ${jsonType(obj)}` }] };
  }
  const record = obj as Record<string, unknown>;
  const def = typeof record.kind === 'string' && Object.hasOwn(KINDS, record.kind) ? KINDS[record.kind] : undefined;
  if (!def) return { ok: false, problems: headerProblems(record) };
  const validate = validatorFor(def);
  if (!passesSchema(validate, obj)) return { ok: false, problems: translateAjvErrors(validate.errors ?? [], obj, def.schema) };
  const problems: Problem[] = [];
  def.semanticCheck(obj, (path, message) => problems.push({ path, message }));
  return problems.length > 0 ? { ok: false, problems } : { ok: true, manifest: obj };
}

/** The problems of one manifest object (none: it is valid). */
export function validateManifest(obj: unknown): Problem[] {
  const r = checkManifest(obj);
  return r.ok ? [] : r.problems;
}

const IDENTIFIER = /^[A-Za-z_$][\w$-]*$/;

/** `['spec', 'removal', 0, 'imageName']` → `spec.removal[0].imageName`; odd keys are quoted. */
export function formatPath(path: readonly PathSegment[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (IDENTIFIER.test(seg)) out += out ? `.${seg}` : seg;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out;
}
