/**
 * What a pull will need on disk, before it starts (SPEC §8): `need` = 2 × the compressed size of
 * the layers the registry manifest names that are not present (the download and its extraction
 * exist together for a while). A layer is present when a local image has the same layer chain
 * (its ChainID: the layer and everything under it), which is how the engine itself decides to
 * skip a download. The registry is read over the distribution API (engine/registry.ts); local
 * layer chains come from image inspect and are kept per image ID (an image never changes).
 */
import { createHash } from 'node:crypto';
import type { EngineClient } from '../engine/client.js';
import type { EngineInfo } from '../engine/types.js';
import { RegistryReader, registryTarget, type RegistryTarget } from '../engine/registry.js';

export interface Layer {
  digest: string;
  size: number;
}

export interface PullNeed {
  /** bytes to have free: 2 × `compressed` */
  need: number;
  /** compressed bytes of the layers not present */
  compressed: number;
  layers: number;
  missing: number;
}

/** The engine's `Architecture` (uname -m) as an OCI platform architecture and variant. */
export function ociArch(uname: string | undefined): { architecture: string; variant?: string } {
  const m: Record<string, { architecture: string; variant?: string }> = {
    x86_64: { architecture: 'amd64' }, amd64: { architecture: 'amd64' }, aarch64: { architecture: 'arm64' }, arm64: { architecture: 'arm64' },
    armv7l: { architecture: 'arm', variant: 'v7' }, armv6l: { architecture: 'arm', variant: 'v6' }, i686: { architecture: '386' }, i386: { architecture: '386' },
  };
  return m[uname ?? ''] ?? { architecture: uname ?? 'amd64' };
}

interface IndexDoc { manifests?: { digest: string; platform?: { os?: string; architecture?: string; variant?: string } }[] }
interface ManifestDoc { config?: { digest: string }; layers?: { digest: string; size: number }[] }

/** The manifest of an index that fits the engine's platform, or null. */
export function pickPlatform(index: IndexDoc, info: Pick<EngineInfo, 'Architecture' | 'OSType'>): string | null {
  const want = ociArch(info.Architecture);
  const os = info.OSType ?? 'linux';
  const fits = (index.manifests ?? []).filter((m) => m.platform?.os === os && m.platform.architecture === want.architecture);
  return (fits.find((m) => !want.variant || m.platform?.variant === want.variant) ?? fits[0])?.digest ?? null;
}

const sha = (s: string) => `sha256:${createHash('sha256').update(s).digest('hex')}`;

/** The ChainID of each layer: the first is its DiffID, each next one digests "parent child". */
export function chainIds(diffIds: readonly string[]): string[] {
  const out: string[] = [];
  for (const d of diffIds) out.push(out.length === 0 ? d : sha(`${out.at(-1)!} ${d}`));
  return out;
}

/** The layers whose chain is not present; without the config's diff IDs, every layer (the safe side). */
export function missingLayers(layers: readonly Layer[], diffIds: readonly string[] | null, present: ReadonlySet<string>): Layer[] {
  if (!diffIds || diffIds.length !== layers.length) return [...layers];
  const chains = chainIds(diffIds);
  return layers.filter((_, i) => !present.has(chains[i]!));
}

const isIndex = (t: string) => /manifest\.list|image\.index/.test(t);

export class PullNeeds {
  private readonly chains = new Map<string, string[]>();
  private info: EngineInfo | null = null;

  constructor(private readonly docker: EngineClient, private readonly registry = new RegistryReader()) {}

  /** What pulling `ref` needs, given the engine's images `localIds`. Throws when the registry cannot say. */
  async of(ref: string, localIds: readonly string[]): Promise<PullNeed> {
    this.info ??= await this.docker.info();
    const t = registryTarget(ref, this.info);
    const manifest = await this.imageManifest(t);
    const layers = (manifest.layers ?? []).map((l) => ({ digest: l.digest, size: l.size }));
    const config = manifest.config ? ((await this.registry.blob(t, manifest.config.digest).catch(() => null)) as { rootfs?: { diff_ids?: string[] } } | null) : null;
    const missing = missingLayers(layers, config?.rootfs?.diff_ids ?? null, await this.present(localIds));
    const compressed = missing.reduce((n, l) => n + l.size, 0);
    return { need: 2 * compressed, compressed, layers: layers.length, missing: missing.length };
  }

  private async imageManifest(t: RegistryTarget): Promise<ManifestDoc> {
    const top = await this.registry.manifest(t);
    if (!isIndex(top.mediaType)) return top.json as ManifestDoc;
    const digest = pickPlatform(top.json as IndexDoc, this.info ?? {});
    if (!digest) throw new Error(`${t.repo}:${t.reference} has no manifest for ${this.info?.OSType ?? 'linux'}/${ociArch(this.info?.Architecture).architecture}`);
    return (await this.registry.manifest(t, digest)).json as ManifestDoc;
  }

  /** Every layer chain the engine holds. */
  private async present(ids: readonly string[]): Promise<Set<string>> {
    const out = new Set<string>();
    const live = new Set(ids);
    for (const id of ids) {
      let c = this.chains.get(id);
      if (!c) {
        const img = await this.docker.inspectImage(id).catch(() => null);
        if (!img) continue;
        c = chainIds(img.RootFS?.Layers ?? []);
        this.chains.set(id, c);
      }
      for (const x of c) out.add(x);
    }
    for (const id of this.chains.keys()) if (!live.has(id)) this.chains.delete(id);
    return out;
  }
}
