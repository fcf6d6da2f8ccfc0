import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { stackInfo } from './stack/context.js';
import { buildFixture, dockerFor, emptyEngine, followProgress, pushFixture, removeAllImages, runContainer } from './stack/fixtures.js';
import { startStack, type Stack } from './stack/stack.js';

const MANIFEST_V2 = 'application/vnd.docker.distribution.manifest.v2+json';

async function manifestDigest(registry: string, name: string, tag: string): Promise<string | null> {
  const res = await fetch(`http://${registry}/v2/${name}/manifests/${tag}`, { method: 'HEAD', headers: { Accept: MANIFEST_V2 } });
  return res.ok ? res.headers.get('docker-content-digest') : null;
}

describe('shared stack', () => {
  const info = stackInfo();
  const docker = dockerFor(info);

  afterEach(async () => {
    await emptyEngine(docker);
  });

  it('runs its own dockerd 20.10 speaking API <= 1.41', async () => {
    expect(info.dockerHost).toBe(`unix://${info.socketPath}`);
    expect(info.socketPath.startsWith(info.root + '/')).toBe(true);
    expect(String(await docker.ping())).toBe('OK');
    const v = await docker.version();
    expect(v.Version).toMatch(/^20\.10\./);
    const [major, minor] = v.ApiVersion.split('.').map(Number);
    expect(major === 1 && minor! <= 41).toBe(true);
  });

  it('builds fixtures with distinct image IDs', async () => {
    const a = await buildFixture(docker, 'fixture/a:1');
    const b = await buildFixture(docker, 'fixture/b:1');
    const a2 = await buildFixture(docker, 'fixture/a:2', { labels: { 'org.example/role': 'x' }, cmd: ['/bin/busybox', 'true'] });
    expect(new Set([a, b, a2]).size).toBe(3);
    for (const id of [a, b, a2]) expect(id).toMatch(/^sha256:[0-9a-f]{64}$/);
    const inspected = await docker.getImage('fixture/a:2').inspect();
    expect(inspected.Config.Labels).toEqual({ 'org.example/role': 'x' });
    expect(inspected.Config.Cmd).toEqual(['/bin/busybox', 'true']);
  });

  it('pushes a fixture and pulls it back with the same digest', async () => {
    const ref = `${info.registry}/fixture/x:1`;
    const id = await buildFixture(docker, ref);
    const digest = await pushFixture(docker, ref);
    expect(digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(await manifestDigest(info.registry, 'fixture/x', '1')).toBe(digest);

    await removeAllImages(docker);
    await expect(docker.getImage(ref).inspect()).rejects.toMatchObject({ statusCode: 404 });

    await followProgress(docker, await docker.pull(ref));
    const pulled = await docker.getImage(ref).inspect();
    expect(pulled.Id).toBe(id);
    expect(pulled.RepoDigests).toContain(`${info.registry}/fixture/x@${digest}`);
  });

  it('runs a container without network', async () => {
    await buildFixture(docker, 'fixture/run:1');
    const c = await runContainer(docker, 'fixture/run:1', { name: 'smoke' });
    const state = await c.inspect();
    expect(state.State.Running).toBe(true);
    expect(state.HostConfig.NetworkMode).toBe('none');
    expect(Object.keys(state.NetworkSettings.Networks)).toEqual(['none']);
    await expect(runContainer(docker, 'fixture/absent:1')).rejects.toThrow(/not present/);
  });
});

describe('fault controls (private stack)', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('keeps pushed content across a registry restart', async () => {
    const docker = dockerFor(stack);
    const ref = `${stack.registry}/fixture/keep:1`;
    await buildFixture(docker, ref);
    const digest = await pushFixture(docker, ref);

    await stack.stopRegistry();
    await expect(fetch(`http://${stack.registry}/v2/`)).rejects.toThrow();
    await stack.startRegistry();
    expect(await manifestDigest(stack.registry, 'fixture/keep', '1')).toBe(digest);
  });

  it('keeps images across an engine restart on the same socket', async () => {
    const docker = dockerFor(stack);
    const id = await buildFixture(docker, 'fixture/engine:1');
    await runContainer(docker, 'fixture/engine:1', { name: 'survivor' });

    await stack.stopEngine();
    await expect(docker.ping()).rejects.toThrow();
    await stack.startEngine();
    expect((await docker.getImage('fixture/engine:1').inspect()).Id).toBe(id);
    // Without live-restore the container survives the restart, stopped.
    expect((await docker.getContainer('survivor').inspect()).State.Running).toBe(false);
  });
});
