/**
 * What `hzn exchange nmp add` checks in a node management policy, and what imagectl checks on top
 * (the seed's rules). Pure. Every problem carries its path in the Open Horizon document.
 */
import type { Problem } from '../ajv-errors.js';
import { isPropertyVersion } from '../fields/versions.js';
import { IMAGE_POLICY_KEYS } from './forms.js';

const UPGRADE_KEYS = ['agentUpgradePolicy', 'upgrade'];

/** One image policy, and never next to an upgrade policy (the seed's mutual exclusivity). */
export function exclusivity(doc: Record<string, unknown>): Problem[] {
  const out: Problem[] = [];
  const image = IMAGE_POLICY_KEYS.filter((k) => k in doc);
  const upgrade = UPGRADE_KEYS.filter((k) => k in doc);
  if (image.length === 0 && upgrade.length > 0) {
    out.push({ path: [upgrade[0]!], message: `an agent upgrade policy without an image policy: imagectl imports image policies only (the agent upgrade is Open Horizon's own job)` });
  } else if (image.length === 0) {
    out.push({ path: [], message: `an Open Horizon node management policy without image_policy, agentImagePolicy or imageRemovalPolicy: imagectl imports image policies only` });
  }
  if (image.length > 1) out.push({ path: [image[1]!], message: `${image.join(' and ')} are forms of one image policy: use one` });
  for (const u of upgrade) {
    if (image.length > 0) {
      out.push({ path: [u], message: `${u} and ${image[0]} are mutually exclusive: put the agent upgrade and the image policy in separate node management policies` });
    }
  }
  return out;
}

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z|[+-](\d{2}):(\d{2}))$/;

/** `now` or an RFC 3339 time, as hzn requires (absent or empty means now). */
export function startProblem(start: unknown): Problem[] {
  if (start === undefined || start === '' || start === 'now') return [];
  const m = RFC3339.exec(String(start));
  const [, y, mo, d, h, mi, s, , , oh, om] = m ?? [];
  const valid = m && +mo! >= 1 && +mo! <= 12 && +d! >= 1 && +d! <= new Date(Date.UTC(+y!, +mo!, 0)).getUTCDate() && +h! < 24 && +mi! < 60 && +s! < 60 && (oh === undefined || (+oh < 24 && +om! < 60));
  return valid ? [] : [{ path: ['start'], message: `the start time must be in RFC3339 format (2026-05-01T08:00:00Z) or "now", got ${JSON.stringify(start)}` }];
}

interface RawProperty {
  name: string;
  value: string | number | boolean;
  type?: string;
}

const PRIVILEGED = 'openhorizon.allowPrivileged';
const an = (t: string) => (/^[aeiou]/.test(t) ? `an ${t}` : `a ${t}`);

/** A property's value against its declared type, as anax's PropertyList.Validate checks it. */
function propertyProblem(p: RawProperty): string | null {
  const t = p.type ?? '';
  const got = typeof p.value === 'string' ? 'a string' : typeof p.value === 'number' ? 'a number' : 'a boolean';
  if (typeof p.value === 'boolean' && t !== 'boolean' && t !== '') return `${an(t)} property needs ${t === 'int' || t === 'float' ? 'a number' : 'a string'}, got ${got}`;
  if (typeof p.value === 'number') {
    if (t === 'int' && !Number.isInteger(p.value)) return `${p.value} is not an integer, as an int property needs`;
    if (t !== 'int' && t !== 'float' && t !== '') return `${an(t)} property needs ${t === 'boolean' ? 'true or false' : 'a string'}, got ${got}`;
  }
  if (typeof p.value === 'string') {
    if (t === 'version' && !isPropertyVersion(p.value)) return `${JSON.stringify(p.value)} is not a version (one to three numbers without leading zeros, such as 1.2.3)`;
    if (t === 'int' || t === 'float' || t === 'boolean') return `${an(t)} property needs ${t === 'boolean' ? 'true or false' : 'a number'} without quotes, got a string`;
  }
  if (p.name === PRIVILEGED && typeof p.value !== 'boolean' && p.value !== 'true' && p.value !== 'false') return `the property ${PRIVILEGED} must have a boolean value (true or false)`;
  return null;
}

/** The properties as anax validates them: by the value's JSON type against the declared type. */
export function propertyProblems(props: readonly RawProperty[] | undefined): Problem[] {
  return (props ?? []).flatMap((p, i) => {
    const problem = propertyProblem(p);
    return problem ? [{ path: ['properties', i, 'value'], message: problem }] : [];
  });
}
