/**
 * Docker image references, normalized the way the engine does it:
 * `nginx:1` → `docker.io/library/nginx:1`, `fixture/a:1` → `docker.io/fixture/a:1`,
 * `localhost:5000/app:1` stays as it is. Pure functions, no I/O.
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
const LEGACY_DOMAINS = new Set(['index.docker.io', 'registry-1.docker.io']);
const COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^sha256:[a-f0-9]{64}$/;
const DOMAIN = /^(?:localhost|[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*|\[[0-9a-fA-F:]+\])(?::[0-9]+)?$/;

export type ParseResult = { ok: true; ref: ImageRef } | { ok: false; error: string };

/** Is the first path component a registry host rather than a Docker Hub namespace? */
function looksLikeDomain(first: string): boolean {
  return first === 'localhost' || first.includes('.') || first.includes(':') || first !== first.toLowerCase();
}

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

export function parseReference(s: string): ParseResult {
  if (typeof s !== 'string' || s.length === 0) return { ok: false, error: 'empty image reference' };
  if (s.length > 512) return { ok: false, error: 'image reference longer than 512 characters' };
  if (/\s/.test(s)) return { ok: false, error: `image reference ${JSON.stringify(s)} contains white space` };
  const { name, tag, digest } = splitReference(s);
  if (tag !== undefined && !TAG.test(tag)) return { ok: false, error: `invalid tag ${JSON.stringify(tag)}` };
  if (digest !== undefined && !DIGEST.test(digest)) {
    return { ok: false, error: `invalid digest ${JSON.stringify(digest)} (want sha256:<64 hex digits>)` };
  }
  const parts = name.split('/');
  let domain = DEFAULT_DOMAIN;
  if (parts.length > 1 && looksLikeDomain(parts[0]!)) {
    domain = parts.shift()!;
    if (!DOMAIN.test(domain)) return { ok: false, error: `invalid registry host ${JSON.stringify(domain)}` };
    if (LEGACY_DOMAINS.has(domain)) domain = DEFAULT_DOMAIN;
  }
  if (domain === DEFAULT_DOMAIN && parts.length === 1) parts.unshift('library');
  for (const p of parts) {
    if (!COMPONENT.test(p)) {
      return { ok: false, error: `invalid repository name ${JSON.stringify(name)}: component ${JSON.stringify(p)} must be lowercase letters, digits and separators` };
    }
  }
  return { ok: true, ref: { domain, path: parts.join('/'), tag, digest } };
}

export function repository(ref: ImageRef): string {
  return `${ref.domain}/${ref.path}`;
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
 * Normalize a reference the way `docker pull` does: a name without tag or digest means `:latest`.
 */
export function normalizeWithDefaultTag(s: string): string {
  const r = parseReference(s);
  if (!r.ok) return s;
  if (r.ref.tag === undefined && r.ref.digest === undefined) r.ref.tag = 'latest';
  return formatReference(r.ref);
}

/** The short form Docker prints: `docker.io/library/nginx:1` → `nginx:1`. */
export function familiar(s: string): string {
  const r = parseReference(s);
  if (!r.ok) return s;
  const { ref } = r;
  let name = ref.domain === DEFAULT_DOMAIN ? ref.path : repository(ref);
  if (ref.domain === DEFAULT_DOMAIN && name.startsWith('library/') && name.split('/').length === 2) name = name.slice(8);
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
    return LEGACY_DOMAINS.has(first) ? DEFAULT_DOMAIN + p.slice(slash) : p;
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
