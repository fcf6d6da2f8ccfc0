/**
 * Docker image references, parsed and normalized as distribution/reference does (the parser the
 * docker CLI and the engine use): `nginx:1` → `docker.io/library/nginx:1`, `fixture/a:1` →
 * `docker.io/fixture/a:1`, `localhost:5000/app:1` stays as it is. Pure.
 *
 * The grammar: `[domain/]path[:tag][@digest]`; a domain is a host name, an IPv4 address or a
 * bracketed IPv6 address, with an optional port; path components are lowercase letters and
 * digits joined by `.`, `_`, `__` or dashes; a tag is at most 128 of `[A-Za-z0-9_.-]`, not
 * starting with `.` or `-`; the path is at most 255 characters; the digest is `sha256:` and 64
 * lowercase hex digits. A bare 64-hex name is refused: it would be taken for an image ID.
 */
export interface ImageRef {
  /** registry host, e.g. `docker.io`, `localhost:5000`, `registry.local`. */
  domain: string;
  /** repository path below the domain, e.g. `library/nginx`. */
  path: string;
  tag?: string;
  /** `sha256:<64 hex>` */
  digest?: string;
}

export const DEFAULT_DOMAIN = 'docker.io';
const LEGACY_DOMAIN = 'index.docker.io';
const MAX_PATH = 255;

const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const DOMAIN = `(?:${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*|\\[(?:[a-fA-F0-9:]+)\\])(?::[0-9]+)?`;
const COMPONENT = '[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*';
const PATH = `${COMPONENT}(?:/${COMPONENT})*`;
const TAG = '[\\w][\\w.-]{0,127}';
const DIGEST = '[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*[:][0-9a-fA-F]{32,}';

const REFERENCE = new RegExp(`^((?:${DOMAIN}/)?${PATH})(?::(${TAG}))?(?:@(${DIGEST}))?$`);
const NAME = new RegExp(`^(?:(${DOMAIN})/)?(${PATH})$`);
const IDENTIFIER = /^[a-f0-9]{64}$/;
const ANCHORED = (p: string) => new RegExp(`^${p}$`);
const TAG_RE = ANCHORED(TAG);
const DOMAIN_RE = ANCHORED(DOMAIN);
const COMPONENT_RE = ANCHORED(COMPONENT);

export type ParseResult = { ok: true; ref: ImageRef } | { ok: false; error: string };
const fail = (error: string): ParseResult => ({ ok: false, error });

/** Split `name[:tag][@digest]` without validating. */
export function splitReference(s: string): { name: string; tag?: string; digest?: string } {
  let rest = s;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
  }
  return { name: rest, tag, digest };
}

/** go-digest: only sha256 is available, as in a build that registers no other hash. */
function digestProblem(d: string): string | null {
  const [alg, hex] = [d.slice(0, d.indexOf(':')), d.slice(d.indexOf(':') + 1)];
  if (alg !== 'sha256') return `unsupported digest algorithm ${JSON.stringify(alg)} in ${JSON.stringify(d)} (want sha256:<64 hex digits>)`;
  if (hex.length !== 64) return `invalid digest ${JSON.stringify(d)}: want 64 hex digits after sha256:, got ${hex.length}`;
  return /^[a-f0-9]{64}$/.test(hex) ? null : `invalid digest ${JSON.stringify(d)}: the hex digits must be lowercase`;
}

/** Say which part is wrong when the reference grammar does not match. */
function diagnose(s: string): string {
  if (/\s/.test(s)) return `image reference ${JSON.stringify(s)} contains white space`;
  const { name, tag, digest } = splitReference(s);
  if (tag !== undefined && !TAG_RE.test(tag)) return `invalid tag ${JSON.stringify(tag)}`;
  if (digest !== undefined && !ANCHORED(DIGEST).test(digest)) return `invalid digest ${JSON.stringify(digest)} (want sha256:<64 hex digits>)`;
  const parts = name.split('/');
  if (parts.length > 1 && !DOMAIN_RE.test(parts[0]!) && !COMPONENT_RE.test(parts[0]!)) return `invalid registry host ${JSON.stringify(parts[0])}`;
  const bad = parts.slice(parts.length > 1 && DOMAIN_RE.test(parts[0]!) ? 1 : 0).find((p) => !COMPONENT_RE.test(p));
  if (bad !== undefined) {
    const what = bad.toLowerCase() !== bad && COMPONENT_RE.test(bad.toLowerCase()) ? 'must be lowercase' : 'must be lowercase letters, digits and separators';
    return `invalid repository name ${JSON.stringify(name)}: component ${JSON.stringify(bad)} ${what}`;
  }
  return `invalid reference format: ${JSON.stringify(s)}`;
}

/** distribution/reference's Parse: no normalization, the domain is only what the text says. */
export function parseExact(s: string): ParseResult {
  if (s === '') return fail('empty image reference');
  const m = REFERENCE.exec(s);
  if (!m) return fail(diagnose(s));
  const n = NAME.exec(m[1]!)!;
  if (n[2]!.length > MAX_PATH) return fail(`repository name must not be more than ${MAX_PATH} characters`);
  if (m[3] !== undefined) {
    const problem = digestProblem(m[3]);
    if (problem) return fail(problem);
  }
  return { ok: true, ref: { domain: n[1] ?? '', path: n[2]!, ...(m[2] !== undefined ? { tag: m[2] } : {}), ...(m[3] !== undefined ? { digest: m[3] } : {}) } };
}

/** Is the first path component a registry host rather than a Docker Hub namespace? */
function looksLikeDomain(first: string): boolean {
  return first === 'localhost' || first.includes('.') || first.includes(':') || first !== first.toLowerCase();
}

/** distribution/reference's splitDockerDomain: which part is the registry, and Docker Hub's library/. */
function splitDockerDomain(s: string): [string, string] {
  const slash = s.indexOf('/');
  if (slash < 0) return [DEFAULT_DOMAIN, `library/${s}`];
  const first = s.slice(0, slash);
  let [domain, rest] = first === LEGACY_DOMAIN ? [DEFAULT_DOMAIN, s.slice(slash + 1)] : looksLikeDomain(first) ? [first, s.slice(slash + 1)] : [DEFAULT_DOMAIN, s];
  if (domain === DEFAULT_DOMAIN && !rest.includes('/')) rest = `library/${rest}`;
  return [domain, rest];
}

/** distribution/reference's ParseNormalizedNamed: a reference as the docker CLI reads it. */
export function parseReference(s: string): ParseResult {
  if (typeof s !== 'string' || s.length === 0) return fail('empty image reference');
  if (s.length > 512) return fail('image reference longer than 512 characters');
  if (IDENTIFIER.test(s)) return fail(`invalid repository name ${JSON.stringify(s)}: 64 hexadecimal digits would be taken for an image ID`);
  const [domain, rest] = splitDockerDomain(s);
  const colon = rest.indexOf(':');
  const remote = colon < 0 ? rest : rest.slice(0, colon);
  if (remote.toLowerCase() !== remote && !/\s/.test(s)) return fail(diagnose(s));
  const r = parseExact(`${domain}/${rest}`);
  if (!r.ok) return fail(r.error.startsWith('invalid reference format') ? diagnose(s) : r.error);
  return r;
}

export function repository(ref: ImageRef): string {
  return ref.domain ? `${ref.domain}/${ref.path}` : ref.path;
}

export function formatReference(ref: ImageRef): string {
  return repository(ref) + (ref.tag !== undefined ? `:${ref.tag}` : '') + (ref.digest !== undefined ? `@${ref.digest}` : '');
}

/** `nginx:1` → `docker.io/library/nginx:1`. An unparsable string is returned as it is. */
export function normalize(s: string): string {
  const r = parseReference(s);
  return r.ok ? formatReference(r.ref) : s;
}

/**
 * The reference `docker pull` pulls (distribution/reference's ParseDockerRef): a name alone means
 * `:latest`, and a digest wins over a tag beside it (`app:1@sha256:…` → `app@sha256:…`).
 */
export function normalizeWithDefaultTag(s: string): string {
  const r = parseReference(s);
  if (!r.ok) return s;
  const { tag, ...rest } = r.ref;
  if (rest.digest !== undefined) return formatReference(rest);
  return formatReference({ ...rest, tag: tag ?? 'latest' });
}

/** The short form Docker prints: `docker.io/library/nginx:1` → `nginx:1`. */
export function familiar(s: string): string {
  const r = parseReference(s);
  if (!r.ok) return s;
  const { ref } = r;
  let name = ref.domain === DEFAULT_DOMAIN ? ref.path : repository(ref);
  if (ref.domain === DEFAULT_DOMAIN && name.startsWith('library/') && !name.slice(8).includes('/')) name = name.slice(8);
  return name + (ref.tag !== undefined ? `:${ref.tag}` : '') + (ref.digest !== undefined ? `@${ref.digest}` : '');
}

const GLOB_CHARS = /[*?[\]{}!]/;

export function hasGlob(s: string): boolean {
  return GLOB_CHARS.test(s);
}

/**
 * Normalize a policy pattern. Only the registry/namespace prefix is normalized, and only when the
 * first path component is literal: `nginx:*` → `docker.io/library/nginx:*`,
 * `fixture/*:*` → `docker.io/fixture/*:*`. `*` and `*\/sensor:*` are left as written.
 */
export function normalizePattern(p: string): string {
  if (p === '*' || p === '**') return p;
  const slash = p.indexOf('/');
  const first = slash < 0 ? p : p.slice(0, slash);
  if (hasGlob(first) && !(slash < 0 && /^[^*?[\]{}!]+:/.test(p))) {
    // `*/x:*`, `**/app:*`, `{a,b}/c:*`: the first component is a glob; leave it
    return p;
  }
  if (slash >= 0 && looksLikeDomain(first)) {
    return first === LEGACY_DOMAIN ? DEFAULT_DOMAIN + p.slice(slash) : p;
  }
  if (slash < 0) return `${DEFAULT_DOMAIN}/library/${p}`;
  return `${DEFAULT_DOMAIN}/${p}`;
}

/**
 * Why a pattern lacks a tag, or null when it is fine. `app` and `registry.local/app` need a tag;
 * `app:*`, `*`, `registry.local/*` and `app@sha256:...` are fine.
 */
export function patternTagProblem(p: string): string | null {
  if (hasGlob(p)) return null;
  const { tag, digest } = splitReference(p);
  if (tag === undefined && digest === undefined) return `tag required: write ${JSON.stringify(p + ':<tag>')} or ${JSON.stringify(p + ':*')}`;
  return null;
}
