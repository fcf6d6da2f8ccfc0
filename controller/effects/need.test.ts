import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { chainIds, missingLayers, ociArch, pickPlatform } from './need.js';
import { registryTarget, tokenUrl } from '../engine/registry.js';

const d = (s: string) => `sha256:${createHash('sha256').update(s).digest('hex')}`;

describe('what a pull needs', () => {
  it('chain IDs as the OCI image spec defines them (ChainID(n) = Digest(ChainID(n-1) + " " + DiffID(n)))', () => {
    const [a, b, c] = [d('a'), d('b'), d('c')];
    const ab = d(`${a} ${b}`);
    expect(chainIds([a, b, c])).toEqual([a, ab, d(`${ab} ${c}`)]);
  });

  it('counts a layer as present only when its whole chain is: the same layer on another base is downloaded', () => {
    const [base, x, y] = [d('base'), d('x'), d('y')];
    const layers = [{ digest: 'l0', size: 10 }, { digest: 'l1', size: 5 }];
    const present = new Set(chainIds([base, x]));
    expect(missingLayers(layers, [base, x], present)).toEqual([]);
    expect(missingLayers(layers, [base, y], present)).toEqual([layers[1]]);
    expect(missingLayers(layers, [y, x], present)).toEqual(layers);
    expect(missingLayers(layers, null, present)).toEqual(layers); // no config: every layer, the safe side
  });

  it('picks the engine\'s platform from an index', () => {
    const index = { manifests: [
      { digest: 'arm', platform: { os: 'linux', architecture: 'arm', variant: 'v6' } },
      { digest: 'arm7', platform: { os: 'linux', architecture: 'arm', variant: 'v7' } },
      { digest: 'amd', platform: { os: 'linux', architecture: 'amd64' } },
    ] };
    expect(pickPlatform(index, { Architecture: 'x86_64', OSType: 'linux' })).toBe('amd');
    expect(pickPlatform(index, { Architecture: 'armv7l', OSType: 'linux' })).toBe('arm7');
    expect(pickPlatform(index, { Architecture: 'aarch64', OSType: 'linux' })).toBeNull();
    expect(ociArch('aarch64')).toEqual({ architecture: 'arm64' });
  });

  it('reaches the registry as the engine does: loopback and insecure registries over HTTP, Docker Hub at registry-1', () => {
    expect(registryTarget('127.0.0.1:5000/app:1')).toEqual({ base: 'http://127.0.0.1:5000', repo: 'app', reference: '1' });
    expect(registryTarget('nginx')).toEqual({ base: 'https://registry-1.docker.io', repo: 'library/nginx', reference: 'latest' });
    expect(registryTarget(`reg.local/a/b@sha256:${'a'.repeat(64)}`, { RegistryConfig: { IndexConfigs: { 'reg.local': { Secure: false } } } })).toEqual({ base: 'http://reg.local', repo: 'a/b', reference: `sha256:${'a'.repeat(64)}` });
    expect(tokenUrl('Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/nginx:pull"')).toBe('https://auth.docker.io/token?service=registry.docker.io&scope=repository%3Alibrary%2Fnginx%3Apull');
    expect(tokenUrl('Basic realm="x"')).toBeNull();
  });
});
