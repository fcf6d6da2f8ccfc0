/**
 * Open Horizon node management policies (NMP) with an image policy, imported as ImagePolicies. Pure.
 *
 * The image policy may be written in any of the seeds' three forms (forms.ts), each with `enabled`,
 * `constraints`, `properties` and `patterns`. The rest is read as anax reads an NMP: `enabled`
 * absent is false, `start` is `now` or RFC 3339, a property's type is its declared type or its
 * value's JSON type, constraints follow anax's language. An NMP has no name of its own
 * (`hzn exchange nmp add NAME -f FILE` names it), so the policy is named after its file. Every
 * problem is reported with the path in the Open Horizon document.
 */
import type { ImagePolicy, PolicyProperty } from '../imagepolicy/type.js';
import { translateAjvErrors, type Problem } from '../ajv-errors.js';
import schema from './schema.json' with { type: 'json' };
import { API_VERSION } from '../types.js';
import { OpenHorizon } from '../precompiled/openhorizon-validator.js';
import { validateManifest, type SchemaValidator } from '../validate.js';
import { backPath, formOf, IMAGE_POLICY_KEYS, type Form, type Kept } from './forms.js';
import { exclusivity, propertyProblems, startProblem } from './nmp-checks.js';

/** Keys that only an Open Horizon NMP has; a document without apiVersion and kind that has one is an NMP. */
export const OPEN_HORIZON_KEYS = [...IMAGE_POLICY_KEYS, 'agentUpgradePolicy', 'upgrade', 'enabled', 'constraints', 'properties', 'patterns', 'startWindow'];

export const SOURCE_ANNOTATION = 'imagectl.dev/source';
export const LABEL_ANNOTATION = 'imagectl.dev/openhorizon-label';
export const DESCRIPTION_ANNOTATION = 'imagectl.dev/openhorizon-description';

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** The schema, precompiled by crd/precompiled/generate.ts (no ajv at run time). */
const validator: SchemaValidator = OpenHorizon;
function validateShape(doc: unknown): Problem[] {
  return validator(doc) ? [] : translateAjvErrors(validator.errors ?? [], doc, schema);
}

export function isOpenHorizonShape(obj: unknown): obj is Record<string, unknown> {
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) return false;
  const o = obj as Record<string, unknown>;
  return !('apiVersion' in o) && !('kind' in o) && OPEN_HORIZON_KEYS.some((k) => k in o);
}

/** `plant-7.json` → `plant-7`: the name `hzn exchange nmp add NAME -f FILE` would be given. */
export function nameFromFile(file: string): string {
  const base = file.slice(file.lastIndexOf('/') + 1);
  return base.replace(/\.(json|ya?ml)$/i, '');
}

interface RawProperty {
  name: string;
  value: string | number | boolean;
  type?: PolicyProperty['type'] | '';
}

/** The declared type, else the value's JSON type ("3" stays a string, as in anax). */
function property(p: RawProperty): PolicyProperty {
  const privileged = p.name === 'openhorizon.allowPrivileged' && (p.value === 'true' || p.value === 'false');
  const own = typeof p.value === 'boolean' || privileged ? 'boolean' : typeof p.value === 'number' ? (Number.isInteger(p.value) ? 'int' : 'float') : 'string';
  return { name: p.name, value: String(p.value), type: p.type || own };
}

/** Non-blank items, and where each came from: anax reads a blank constraint as no constraint. */
function kept(list: unknown): [string[], number[]] {
  const pairs = ((list as string[] | undefined) ?? []).map((s, i) => [s, i] as const).filter(([s]) => s.trim() !== '');
  return [pairs.map(([s]) => s), pairs.map(([, i]) => i)];
}

/** The ImagePolicy an NMP stands for; `doc` has passed the shape checks. */
function toImagePolicy(doc: Record<string, unknown>, name: string, form: Form, [constraints, patterns]: [string[], string[]]): ImagePolicy {
  const annotations: Record<string, string> = { [SOURCE_ANNOTATION]: 'openhorizon' };
  if (typeof doc.label === 'string' && doc.label) annotations[LABEL_ANNOTATION] = doc.label;
  if (typeof doc.description === 'string' && doc.description) annotations[DESCRIPTION_ANNOTATION] = doc.description;
  return {
    apiVersion: API_VERSION,
    kind: 'ImagePolicy',
    metadata: { name, annotations },
    spec: {
      // anax's enabled is a plain bool: absent is false, and a disabled NMP applies nowhere
      enabled: doc.enabled === true,
      ...(constraints.length ? { constraints } : {}),
      // always present: an NMP is subject to the node's constraints, as in Open Horizon
      properties: ((doc.properties as RawProperty[] | undefined) ?? []).map(property),
      ...(patterns.length ? { patterns } : {}),
      removal: form.rules.map((r) => form.toRule(r)),
    },
  };
}

function nameProblems(name: string | undefined): Problem[] {
  if (name === undefined) return [{ path: [], message: 'an Open Horizon policy read from stdin needs --name NAME (a file names it after itself)' }];
  if (!DNS_LABEL.test(name) || name.length > 63) {
    return [{ path: [], message: `the policy is named after its file, and ${JSON.stringify(name)} is not a DNS-1123 label (lowercase letters, digits and '-', at most 63 characters): rename the file` }];
  }
  return [];
}

export type ConvertResult = { ok: true; object: ImagePolicy } | { ok: false; problems: Problem[] };

/**
 * Convert one Open Horizon NMP into an ImagePolicy named `name` (from the file, or `--name`).
 * `name` is undefined for stdin without `--name`.
 */
export function convertOpenHorizon(doc: Record<string, unknown>, name: string | undefined): ConvertResult {
  const shape = validateShape(doc);
  const problems = [...shape, ...exclusivity(doc), ...nameProblems(name)];
  if (shape.length === 0) problems.push(...startProblem(doc.start), ...propertyProblems(doc.properties as RawProperty[] | undefined));
  const form = formOf(doc);
  if (problems.length > 0 || !form || name === undefined) return { ok: false, problems };
  const [constraints, constraintIndex] = kept(doc.constraints);
  const [patterns, patternIndex] = kept(doc.patterns);
  const index: Kept = { constraints: constraintIndex, patterns: patternIndex };
  const object = toImagePolicy(doc, name, form, [constraints, patterns]);
  const converted = validateManifest(object).map((p) => {
    const path = backPath(p.path, form, index);
    let message = p.message;
    if (path.at(-1) === form.fields.imageName && message.startsWith('tag required')) {
      message = `partial image name ${JSON.stringify(object.spec.removal![path.at(-2) as number]!.imageName)}: ${message}`;
    }
    return { path, message };
  });
  return converted.length > 0 ? { ok: false, problems: converted } : { ok: true, object };
}
