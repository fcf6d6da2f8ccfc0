import type { ErrorObject } from 'ajv';
import { API_VERSION } from './types.js';
import { KINDS, type KindDef, type PathSegment } from './kinds.js';
import { jsonType, translateAjvErrors, type Problem } from './ajv-errors.js';
import * as generated from './precompiled/manifest-validators.js';

export type { Problem } from './ajv-errors.js';

/** A schema validator as ajv compiles it: true or false, and its errors on the function. */
export type SchemaValidator = ((data: unknown) => boolean) & { errors?: ErrorObject[] | null };

/**
 * Each kind's schema, precompiled by scripts/gen-validators.ts (ajv's standalone code, the same
 * functions ajv would compile): no ajv and no schema compilation at run time.
 */
const VALIDATORS = generated as unknown as Record<string, SchemaValidator | undefined>;

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

/** Validate one manifest object: shape, then its kind's schema, then its kind's semantic checks. */
export function validateManifest(obj: unknown): Problem[] {
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) {
    return [{ path: [], message: `a manifest must be a mapping (object), got ${jsonType(obj)}` }];
  }
  const record = obj as Record<string, unknown>;
  const def = typeof record.kind === 'string' && Object.hasOwn(KINDS, record.kind) ? KINDS[record.kind] : undefined;
  if (!def) return headerProblems(record);
  const validate = validatorFor(def);
  if (!validate(obj)) return translateAjvErrors(validate.errors ?? [], obj, def.schema);
  const out: Problem[] = [];
  def.semanticCheck(obj, (path, message) => out.push({ path, message }));
  return out;
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
