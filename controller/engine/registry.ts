/**
 * Reading an image's manifest and config from its registry, over the distribution API (HTTP), to
 * know what a pull will download before it starts. The engine has no call for that (its
 * `/distribution/{name}/json` gives the manifest's descriptor only, and `docker manifest` is a CLI
 * feature), so the agent asks the registry itself, anonymously, as the engine's own pulls do here
 * (no credentials): plain HTTP for the registries the engine treats as insecure (loopback, its
 * insecure-registries), HTTPS otherwise, with the registry's bearer token challenge answered.
 */
import { parseReference } from '../../crd/fields/reference.js';
import type { EngineInfo } from './types.js';

export const MANIFEST_TYPES = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
];
const TIMEOUT_MS = 10_000;
/** a manifest or config larger than this is not an image's (and is not read) */
const MAX_DOCUMENT_BYTES = 4 << 20;

export interface RegistryTarget {
  base: string;
  repo: string;
  /** tag or digest */
  reference: string;
}

const LOOPBACK = /^(localhost|127(\.\d+){3}|\[::1\])(:\d+)?$/;

/** Where `ref` lives: `localhost:5000/app:1` → http://localhost:5000, repository `app`, `1`. */
export function registryTarget(ref: string, info: Pick<EngineInfo, 'RegistryConfig'> = {}): RegistryTarget {
  const r = parseReference(ref);
  if (!r.ok) throw new Error(r.error);
  const { domain, path, tag, digest } = r.ref;
  const insecure = LOOPBACK.test(domain) || info.RegistryConfig?.IndexConfigs?.[domain]?.Secure === false;
  const host = domain === 'docker.io' ? 'registry-1.docker.io' : domain;
  return { base: `${insecure ? 'http' : 'https'}://${host}`, repo: path, reference: digest ?? tag ?? 'latest' };
}

/** A registry's bearer challenge: `Bearer realm="…",service="…",scope="…"` → the token URL. */
export function tokenUrl(challenge: string | null): string | null {
  if (!challenge || !/^bearer\s/i.test(challenge)) return null;
  const params = Object.fromEntries([...challenge.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1]!.toLowerCase(), m[2]!]));
  if (!params.realm) return null;
  const u = new URL(params.realm);
  if (params.service) u.searchParams.set('service', params.service);
  if (params.scope) u.searchParams.set('scope', params.scope);
  return u.toString();
}

async function readCapped(res: Response): Promise<Buffer> {
  const len = Number(res.headers.get('content-length') ?? 0);
  if (len > MAX_DOCUMENT_BYTES) throw new Error(`the registry's answer is ${len} bytes, more than a manifest or config can be`);
  const body = Buffer.from(await res.arrayBuffer());
  if (body.length > MAX_DOCUMENT_BYTES) throw new Error(`the registry's answer is more than ${MAX_DOCUMENT_BYTES} bytes`);
  return body;
}

/** A small GET to the registry; a 401 with a bearer challenge is answered with an anonymous token once. */
async function get(url: string, accept: string, token?: string): Promise<{ body: Buffer; type: string }> {
  const headers: Record<string, string> = { accept };
  if (token) headers.authorization = `Bearer ${token}`;
  const res = await fetch(url, { headers, signal: AbortSignal.timeout(TIMEOUT_MS), redirect: 'follow' });
  if (res.status === 401 && !token) {
    const t = tokenUrl(res.headers.get('www-authenticate'));
    await res.body?.cancel();
    if (!t) throw new Error(`${url}: 401 without a bearer challenge (credentials needed)`);
    const tr = await fetch(t, { signal: AbortSignal.timeout(TIMEOUT_MS) });
    if (!tr.ok) throw new Error(`the registry's token service answered ${tr.status}`);
    const j = JSON.parse((await readCapped(tr)).toString('utf8')) as { token?: string; access_token?: string };
    const tok = j.token ?? j.access_token;
    if (!tok) throw new Error('the registry\'s token service gave no token');
    return get(url, accept, tok);
  }
  if (!res.ok) {
    await res.body?.cancel();
    throw new Error(`${url}: HTTP ${res.status}`);
  }
  return { body: await readCapped(res), type: (res.headers.get('content-type') ?? '').split(';')[0]!.trim() };
}

export interface RegistryDoc {
  mediaType: string;
  json: unknown;
}

export class RegistryReader {
  /** GET /v2/<repo>/manifests/<reference or digest>. */
  async manifest(t: RegistryTarget, reference = t.reference): Promise<RegistryDoc> {
    const r = await get(`${t.base}/v2/${t.repo}/manifests/${reference}`, MANIFEST_TYPES.join(', '));
    const json = JSON.parse(r.body.toString('utf8')) as { mediaType?: string };
    return { mediaType: json.mediaType ?? r.type, json };
  }

  /** GET /v2/<repo>/blobs/<digest> of a small JSON blob (an image config). */
  async blob(t: RegistryTarget, digest: string): Promise<unknown> {
    const r = await get(`${t.base}/v2/${t.repo}/blobs/${digest}`, 'application/json, */*');
    return JSON.parse(r.body.toString('utf8'));
  }
}
