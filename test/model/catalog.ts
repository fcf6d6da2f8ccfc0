/**
 * The small world the model-based tests draw from: four image contents, the references they can
 * carry, the globs a policy may use, and the durations. Kept small on purpose: collisions (two
 * rules on one image, a tag moving between images, a keep and a rule on the same name) are what
 * find bugs, and a small catalog makes them frequent.
 *
 * The model's own reading of a glob and of a reference lives here too, written independently of
 * crd/imagepolicy/match.ts and crd/fields/reference.ts (a hand-written regex for the few glob
 * forms below, and docker.io's short-name rule), so that the model does not inherit the product's
 * mistakes. catalog.test.ts checks the two readings agree on every pair of the catalog.
 */

/** Image contents: what an ID stands for. */
export const CONTENTS = [0, 1, 2, 3] as const;
export const idOf = (c: number) => `sha256:${String(c + 1).repeat(64)}`;
export const sizeOf = (c: number) => (c + 1) * 1_000_000;
/** The manifest digest a registry serves for a content (what a pull records as a repo digest). */
export const manifestOf = (c: number) => `sha256:${String.fromCharCode(97 + c).repeat(64)}`;

export const REGISTRY = 'localhost:5000';
/** References an image can carry, as the engine lists them (docker.io names in their short form). */
export const REFS = [
  `${REGISTRY}/app:1`,
  `${REGISTRY}/app:2`,
  `${REGISTRY}/app:latest`,
  `${REGISTRY}/db:1`,
  `${REGISTRY}/tools/cli:1`,
  'busybox:1',
  'busybox:latest',
] as const;
/** The references a pull can bring (the local registry; nothing goes to Docker Hub). */
export const PULLABLE = REFS.filter((r) => r.startsWith(`${REGISTRY}/`));
/** What the registry serves for each pullable reference at the start. */
export const INITIAL_REGISTRY: Record<string, number> = {
  [`${REGISTRY}/app:1`]: 0,
  [`${REGISTRY}/app:2`]: 1,
  [`${REGISTRY}/app:latest`]: 1,
  [`${REGISTRY}/db:1`]: 2,
  [`${REGISTRY}/tools/cli:1`]: 3,
};

/** The globs a rule or a keep entry may use. */
export const PATTERNS = [
  `${REGISTRY}/app:1`,
  `${REGISTRY}/app:*`,
  `${REGISTRY}/*:*`,
  `${REGISTRY}/**`,
  `${REGISTRY}/*:latest`,
  `${REGISTRY}/{app,db}:2`,
  `${REGISTRY}/app:[12]`,
  '**/cli:*',
  '*',
  '*:*',
  'busybox:*',
  'docker.io/library/*:*',
  '*:latest',
] as const;

/** deleteAfter as written, and what the model reads it as (ms). */
export const DURATIONS: Record<string, number> = { '1s': 1_000, '5s': 5_000, '30s': 30_000, '2m': 120_000, '1h': 3_600_000 };

/** The model's glob: `**` (a whole segment) spans segments, `*` and `?` stay within one, `{a,b}` and `[..]` as in sh. */
export function modelGlob(p: string): RegExp {
  let re = '';
  for (let i = 0; i < p.length; i++) {
    const ch = p[i]!;
    if (p.startsWith('**/', i) && (i === 0 || p[i - 1] === '/')) {
      re += '(?:.*/)?';
      i += 2;
    } else if (p.startsWith('**', i) && (i === 0 || p[i - 1] === '/') && i + 2 === p.length) {
      re += '.*';
      i += 1;
    } else if (ch === '*') re += '[^/]*';
    else if (ch === '?') re += '[^/]';
    else if (ch === '[') {
      const end = p.indexOf(']', i);
      re += p.slice(i, end + 1);
      i = end;
    } else if (ch === '{') {
      const end = p.indexOf('}', i);
      re += `(?:${p.slice(i + 1, end).split(',').map(escape).join('|')})`;
      i = end;
    } else re += escape(ch);
  }
  return new RegExp(`^${re}$`);
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

/** The long form of a reference: docker.io's short names get their domain (and `library/` when they have no path). */
export function modelLongForm(ref: string): string {
  const first = ref.split('/')[0]!;
  const hasDomain = ref.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost');
  if (hasDomain) return ref;
  return ref.includes('/') ? `docker.io/${ref}` : `docker.io/library/${ref}`;
}

/** The short form: the docker.io domain (and `library/`) dropped. */
export function modelShortForm(ref: string): string {
  const long = modelLongForm(ref);
  if (long.startsWith('docker.io/library/')) return long.slice('docker.io/library/'.length);
  if (long.startsWith('docker.io/')) return long.slice('docker.io/'.length);
  return long;
}

const verdicts = new Map<string, boolean>();

/** Does a glob match an image that carries these references? (`*` alone matches every image, even one without references.) */
export function modelMatches(pattern: string, refs: readonly string[]): boolean {
  if (pattern === '*' || pattern === '**') return true;
  const key = `${pattern}\n${refs.join('\n')}`;
  let v = verdicts.get(key);
  if (v === undefined) verdicts.set(key, (v = matchesUncached(pattern, refs)));
  return v;
}

function matchesUncached(pattern: string, refs: readonly string[]): boolean {
  // a pattern's name gets docker.io's domain only when its first part is literal (`busybox:*`, not `*:*` or `**/cli:*`)
  const first = pattern.split('/')[0]!.split(':')[0]!;
  const long = /[*?[\]{}]/.test(first) ? pattern : modelLongForm(pattern);
  const variants = [modelGlob(pattern), modelGlob(long)];
  return refs.some((r) => [modelLongForm(r), modelShortForm(r)].some((c) => variants.some((v) => v.test(c))));
}
