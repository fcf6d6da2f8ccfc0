/**
 * Open Horizon node management policies (NMP) with an image policy, imported as ImagePolicies. Pure.
 *
 * Two forms are accepted: the design's `image_policy.removal[]` (`image_name`,
 * `delete_after_minutes`, `agent_downloaded_only`) and the form anax's code carries,
 * `agentImagePolicy.imageRemovalPolicies[]` (`imageId`, `deleteAfterMinutes`,
 * `agentDownloadedOnly`), each with `enabled`, `constraints`, `properties` and `patterns`. An NMP has
 * no name of its own (`hzn exchange nmp add NAME -f FILE` names it), so the policy is named after
 * its file. Every problem is reported with the path in the Open Horizon document.
 */
import { inferType } from '../fields/constraints.js';
import type { ImagePolicy, PolicyProperty, RemovalRule } from '../imagepolicy/type.js';
import { translateAjvErrors, type Problem } from '../ajv-errors.js';
import type { PathSegment } from '../kinds.js';
import schema from './schema.json' with { type: 'json' };
import { API_VERSION } from '../types.js';
import { OpenHorizon } from '../precompiled/openhorizon-validator.js';
import { validateManifest, type SchemaValidator } from '../validate.js';

/** Keys that only an Open Horizon NMP has; a document without apiVersion and kind that has one is an NMP. */
export const OPEN_HORIZON_KEYS = ['image_policy', 'agentImagePolicy', 'agentUpgradePolicy', 'upgrade', 'enabled', 'constraints', 'properties', 'patterns', 'startWindow'];

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

interface Form {
  base: PathSegment[];
  fields: { imageName: string; deleteAfterMinutes: string; agentDownloadedOnly: string };
  rules: Record<string, unknown>[];
}

function formOf(doc: Record<string, unknown>): Form | undefined {
  const design = doc.image_policy as { removal?: Record<string, unknown>[] } | undefined;
  if (design) {
    return { base: ['image_policy', 'removal'], fields: { imageName: 'image_name', deleteAfterMinutes: 'delete_after_minutes', agentDownloadedOnly: 'agent_downloaded_only' }, rules: design.removal ?? [] };
  }
  const anax = doc.agentImagePolicy as { imageRemovalPolicies?: Record<string, unknown>[] } | undefined;
  if (anax) {
    return { base: ['agentImagePolicy', 'imageRemovalPolicies'], fields: { imageName: 'imageId', deleteAfterMinutes: 'deleteAfterMinutes', agentDownloadedOnly: 'agentDownloadedOnly' }, rules: anax.imageRemovalPolicies ?? [] };
  }
  return undefined;
}

/** Rules the NMP itself sets: one image policy, and never next to an upgrade policy. */
function exclusivity(doc: Record<string, unknown>): Problem[] {
  const out: Problem[] = [];
  const image = ['image_policy', 'agentImagePolicy'].filter((k) => k in doc);
  const upgrade = ['agentUpgradePolicy', 'upgrade'].filter((k) => k in doc);
  if (image.length === 0) {
    out.push({ path: [], message: 'an Open Horizon node management policy without image_policy or agentImagePolicy: imagectl imports image policies only' });
  }
  if (image.length === 2) out.push({ path: ['agentImagePolicy'], message: 'image_policy and agentImagePolicy are two forms of one image policy: use one' });
  for (const u of upgrade) {
    if (image.length > 0) {
      out.push({ path: [u], message: `${u} and ${image[0]} are mutually exclusive: put the agent upgrade and the image policy in separate node management policies` });
    }
  }
  return out;
}

function property(p: { name: string; value: string | number | boolean; type?: PolicyProperty['type'] }): PolicyProperty {
  return { name: p.name, value: String(p.value), type: p.type ?? inferType(p.value) };
}

/** The ImagePolicy an NMP stands for; `doc` has passed the shape checks. */
function toImagePolicy(doc: Record<string, unknown>, name: string, form: Form): ImagePolicy {
  const removal: RemovalRule[] = form.rules.map((r) => ({
    imageName: r[form.fields.imageName] as string,
    deleteAfterMinutes: r[form.fields.deleteAfterMinutes] as number,
    ...(r[form.fields.agentDownloadedOnly] !== undefined ? { agentDownloadedOnly: r[form.fields.agentDownloadedOnly] as boolean } : {}),
  }));
  const nonEmpty = (l: unknown) => ((l as string[] | undefined) ?? []).filter((s) => s.trim() !== '');
  const annotations: Record<string, string> = { [SOURCE_ANNOTATION]: 'openhorizon' };
  if (typeof doc.label === 'string' && doc.label) annotations[LABEL_ANNOTATION] = doc.label;
  if (typeof doc.description === 'string' && doc.description) annotations[DESCRIPTION_ANNOTATION] = doc.description;
  const constraints = nonEmpty(doc.constraints);
  const patterns = nonEmpty(doc.patterns);
  return {
    apiVersion: API_VERSION,
    kind: 'ImagePolicy',
    metadata: { name, annotations },
    spec: {
      enabled: doc.enabled === undefined ? true : (doc.enabled as boolean),
      ...(constraints.length ? { constraints } : {}),
      // always present: an NMP is subject to the node's constraints, as in Open Horizon
      properties: ((doc.properties as Parameters<typeof property>[0][] | undefined) ?? []).map(property),
      ...(patterns.length ? { patterns } : {}),
      removal,
    },
  };
}

/** Where a problem of the converted ImagePolicy sits in the Open Horizon document. */
function backPath(path: PathSegment[], form: Form): PathSegment[] {
  const [top, sub, i, field] = path;
  if (top !== 'spec') return [];
  if (sub === 'removal' && typeof i === 'number') {
    const f = typeof field === 'string' ? form.fields[field as keyof Form['fields']] : undefined;
    return f ? [...form.base, i, f] : [...form.base, i];
  }
  if (sub === 'constraints' || sub === 'properties' || sub === 'patterns') return path.slice(1);
  return [];
}

export type ConvertResult = { ok: true; object: ImagePolicy } | { ok: false; problems: Problem[] };

/**
 * Convert one Open Horizon NMP into an ImagePolicy named `name` (from the file, or `--name`).
 * `name` is undefined for stdin without `--name`.
 */
export function convertOpenHorizon(doc: Record<string, unknown>, name: string | undefined): ConvertResult {
  const problems = [...validateShape(doc), ...exclusivity(doc)];
  if (name === undefined) {
    problems.push({ path: [], message: 'an Open Horizon policy read from stdin needs --name NAME (a file names it after itself)' });
  } else if (!DNS_LABEL.test(name) || name.length > 63) {
    problems.push({ path: [], message: `the policy is named after its file, and ${JSON.stringify(name)} is not a DNS-1123 label (lowercase letters, digits and '-', at most 63 characters): rename the file` });
  }
  const form = formOf(doc);
  if (problems.length > 0 || !form || name === undefined) return { ok: false, problems };
  const object = toImagePolicy(doc, name, form);
  const converted = validateManifest(object).map((p) => {
    const path = backPath(p.path, form);
    let message = p.message;
    if (path.at(-1) === form.fields.imageName && message.startsWith('tag required')) {
      message = `partial image name ${JSON.stringify(object.spec.removal![path.at(-2) as number]!.imageName)}: ${message}`;
    }
    return { path, message };
  });
  return converted.length > 0 ? { ok: false, problems: converted } : { ok: true, object };
}
