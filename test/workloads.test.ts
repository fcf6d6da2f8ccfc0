/**
 * Workloads and pulls on a real engine and a real registry: EVE pull policies, digest pins,
 * refresh/restart/purge counters, managed pull/rmi and offline archives with residual cleanup.
 * This file starts its own stack, because it stops and starts the registry.
 */
import { createWriteStream, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type Dockerode from 'dockerode';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { AgentProcess, BIN, waitFor } from './helpers/agent.js';
import { buildFixture, dockerFor, emptyEngine, pushFixture } from './stack/fixtures.js';
import { ensurePackages, startStack, type Stack } from './stack/stack.js';

let stack: Stack;
let docker: Dockerode;
let agent: AgentProcess;
let R: string;
const dir = mkdtempSync(join(tmpdir(), 'ictl-wl-'));

interface WorkloadView {
  metadata: { name: string };
  spec: Record<string, unknown>;
  status: { phase: string; reason: string; message: string; imageId: string | null; resolvedDigest: string | null; containerId: string | null; conditions: { type: string; status: string; reason: string }[] };
}

function workload(name: string, spec: Record<string, unknown>): string {
  const file = join(dir, `${name}.json`);
  writeFileSync(file, JSON.stringify({ apiVersion: 'imagectl.dev/v1alpha1', kind: 'Workload', metadata: { name }, spec: { command: ['/bin/busybox', 'sleep', '3600'], ...spec } }, null, 2));
  return file;
}
const apply = async (file: string) => {
  const r = await agent.cli(['apply', '-f', file]);
  expect(r.code, r.stderr).toBe(0);
  return r.stdout;
};
const getWl = (name: string) => agent.json<WorkloadView>(['get', 'workload', name, '-o', 'json']);
const untilPhase = (name: string, phase: string, timeout = 15_000) =>
  waitFor(`workload ${name} ${phase}`, async () => {
    const w = await getWl(name);
    return w.status.phase === phase ? w : undefined;
  }, timeout, 100);
const containerOf = async (name: string) => {
  const cs = await docker.listContainers({ all: true, filters: { label: [`imagectl.dev/workload=${name}`] } });
  return cs[0];
};
const startedAt = async (id: string) => (await docker.getContainer(id).inspect()).State.StartedAt;

/** Publish new content under an existing tag, leaving no local copy of it (so a refresh must pull). */
async function publishNewVersion(ref: string): Promise<string> {
  const id = await buildFixture(docker, 'scratch/next:1');
  const i = ref.lastIndexOf(':');
  await docker.getImage(id).tag({ repo: ref.slice(0, i), tag: ref.slice(i + 1) });
  const digest = await pushFixture(docker, ref);
  await docker.getImage(ref).remove();
  await docker.getImage('scratch/next:1').remove();
  return digest;
}

function runCommand(cmd: string, args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    const c = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    c.stdout.on('data', (d) => (out += d));
    c.stderr.on('data', (d) => (out += d));
    c.on('close', (code) => resolve({ code: code ?? -1, out }));
  });
}

/** Engine events of one kind while `fn` runs. */
async function eventsDuring(filters: Record<string, string[]>, fn: () => Promise<void>): Promise<{ Action: string; id?: string; Actor?: { ID: string } }[]> {
  const seen: { Action: string }[] = [];
  const stream = await docker.getEvents({ filters: JSON.stringify(filters) });
  stream.on('data', (c: Buffer) => {
    for (const line of c.toString().split('\n')) if (line.trim()) seen.push(JSON.parse(line));
  });
  try {
    await fn();
    await new Promise((r) => setTimeout(r, 300));
  } finally {
    (stream as unknown as { destroy(): void }).destroy();
  }
  return seen;
}

beforeAll(async () => {
  await ensurePackages();
  stack = await startStack();
  docker = dockerFor(stack);
  R = stack.registry;
}, 120_000);
afterAll(async () => {
  await stack?.stop();
});
beforeEach(async () => {
  await emptyEngine(docker);
  agent = new AgentProcess(stack, AgentProcess.tempStateDir());
});
afterEach(() => agent.dispose());

describe('workloads', () => {
  it('Always with the image present and the registry unchanged pulls nothing and keeps the container', async () => {
    const ref = `${R}/wl/steady:1`;
    const id = await buildFixture(docker, ref);
    const digest = await pushFixture(docker, ref);
    await agent.start();
    const events = await eventsDuring({ type: ['image'] }, async () => {
      await apply(workload('steady', { image: ref, imagePullPolicy: 'Always' }));
      const w = await untilPhase('steady', 'Running');
      expect(w.status.imageId).toBe(id);
      expect(w.status.resolvedDigest).toBe(digest);
      const before = await containerOf('steady');
      expect(before?.State).toBe('running');
      expect(before?.Labels).toMatchObject({ 'imagectl.dev/managed': 'true', 'imagectl.dev/workload': 'steady' });
      const started = await startedAt(before!.Id);
      expect((await agent.cli(['refresh', 'workload', 'steady'])).stdout).toContain('refreshImage raised to 1');
      await waitFor('the refresh to be acted on', async () => /Refresh Image:\s+1 \(acted on: 1\)/.test((await agent.cli(['describe', 'workload', 'steady'])).stdout), 10_000);
      const after = await containerOf('steady');
      expect(after?.Id).toBe(before!.Id);
      expect(await startedAt(after!.Id)).toBe(started);
    });
    expect(events.filter((e) => e.Action === 'pull')).toEqual([]);
    expect((await docker.getImage(ref).inspect()).Id).toBe(id);
  });

  it('a raised refreshImage pulls new content and recreates the container; raised again without change it leaves it alone', async () => {
    const ref = `${R}/wl/fresh:1`;
    const v1 = await buildFixture(docker, ref);
    await pushFixture(docker, ref);
    await agent.start();
    await apply(workload('fresh', { image: ref, imagePullPolicy: 'IfNotPresent' }));
    const w1 = await untilPhase('fresh', 'Running');
    expect(w1.status.imageId).toBe(v1);
    const c1 = await containerOf('fresh');

    const d2 = await publishNewVersion(ref);
    await apply(workload('fresh', { image: ref, imagePullPolicy: 'IfNotPresent', refreshImage: 1 }));
    const w2 = await waitFor('the new digest', async () => {
      const w = await getWl('fresh');
      return w.status.resolvedDigest === d2 && w.status.phase === 'Running' ? w : undefined;
    });
    expect(w2.status.imageId).not.toBe(v1);
    const c2 = await containerOf('fresh');
    expect(c2!.Id).not.toBe(c1!.Id);
    expect(c2!.ImageID).toBe(w2.status.imageId);
    const image = await agent.json<{ status: { agentDownloaded: boolean } }>(['get', 'image', w2.status.imageId!, '-o', 'json']);
    expect(image.status.agentDownloaded).toBe(true);

    const started = await startedAt(c2!.Id);
    await apply(workload('fresh', { image: ref, imagePullPolicy: 'IfNotPresent', refreshImage: 2 }));
    await waitFor('refresh 2 acted on', async () => (await agent.cli(['describe', 'workload', 'fresh'])).stdout.includes('(acted on: 2)'));
    const c3 = await containerOf('fresh');
    expect(c3!.Id).toBe(c2!.Id);
    expect(await startedAt(c3!.Id)).toBe(started);
  });

  it('with the registry down: Always fails and does not run the old copy, IfNotPresent runs it, Never without the image is an error', async () => {
    const ref = `${R}/wl/offline:1`;
    await buildFixture(docker, ref);
    await pushFixture(docker, ref);
    await agent.start();
    await stack.stopRegistry();
    try {
      await apply(workload('always', { image: ref, imagePullPolicy: 'Always' }));
      const failed = await untilPhase('always', 'Failed');
      expect(failed.status.reason).toBe('RegistryUnreachable');
      expect(failed.status.message).toContain('the local copy is not used');
      expect(failed.status.conditions.find((c) => c.type === 'ImageReady')).toMatchObject({ status: 'False', reason: 'RegistryUnreachable' });
      expect(await containerOf('always')).toBeUndefined();
      const described = await agent.cli(['describe', 'workload', 'always']);
      expect(described.stdout).toMatch(/Phase:\s+Failed/);

      await apply(workload('ifnp', { image: ref, imagePullPolicy: 'IfNotPresent' }));
      await untilPhase('ifnp', 'Running');
      expect((await containerOf('ifnp'))?.State).toBe('running');

      await apply(workload('never', { image: `${R}/wl/absent:1`, imagePullPolicy: 'Never' }));
      const never = await untilPhase('never', 'Failed');
      expect(never.status.reason).toBe('ImageNotPresent');
      expect(never.status.message).toContain('imagePullPolicy is Never');
      expect(await containerOf('never')).toBeUndefined();
    } finally {
      await stack.startRegistry();
    }
    // the next pass after the registry returns succeeds
    await untilPhase('always', 'Running', 20_000);
  });

  it('a wrong pinned digest runs nothing; the right one runs', async () => {
    const ref = `${R}/wl/pinned:1`;
    await buildFixture(docker, ref);
    const digest = await pushFixture(docker, ref);
    await docker.getImage(ref).remove();
    await agent.start();
    const wrong = `sha256:${'0'.repeat(64)}`;
    await apply(workload('pinned', { image: `${ref}@${wrong}` }));
    const failed = await untilPhase('pinned', 'Failed');
    expect(failed.status.reason).toBe('DigestMismatch');
    expect(failed.status.message).toContain(digest);
    expect(await containerOf('pinned')).toBeUndefined();

    await apply(workload('pinned', { image: `${ref}@${digest}` }));
    const ok = await untilPhase('pinned', 'Running');
    expect(ok.status.resolvedDigest).toBe(digest);
    expect((await containerOf('pinned'))?.State).toBe('running');
  });

  it('refreshImage + restart restart exactly once; refreshImage + purge recreate from the new image and discard the old state', async () => {
    const ref = `${R}/wl/counters:1`;
    await buildFixture(docker, ref);
    await pushFixture(docker, ref);
    await agent.start();
    await apply(workload('counters', { image: ref }));
    await untilPhase('counters', 'Running');
    const c1 = (await containerOf('counters'))!;

    const events = await eventsDuring({ type: ['container'], container: [c1.Id] }, async () => {
      await apply(workload('counters', { image: ref, refreshImage: 1, restart: 1 }));
      await waitFor('restart acted on', async () => /Restart:\s+1 \(acted on: 1\)/.test((await agent.cli(['describe', 'workload', 'counters'])).stdout));
      await new Promise((r) => setTimeout(r, 1500)); // more passes: nothing more may happen
    });
    expect(events.filter((e) => e.Action === 'restart')).toHaveLength(1);
    expect((await containerOf('counters'))!.Id).toBe(c1.Id);

    const exec = async (id: string, cmd: string[]) => {
      const e = await docker.getContainer(id).exec({ Cmd: cmd, AttachStdout: true, AttachStderr: true });
      const s = await e.start({});
      await new Promise((r) => s.on('end', r).resume());
      return (await e.inspect()).ExitCode;
    };
    expect(await exec(c1.Id, ['/bin/busybox', 'sh', '-c', 'echo state > /state-file'])).toBe(0);
    expect(await exec(c1.Id, ['/bin/busybox', 'test', '-f', '/state-file'])).toBe(0);
    const d2 = await publishNewVersion(ref);
    await apply(workload('counters', { image: ref, refreshImage: 2, restart: 1, purge: 1 }));
    const w = await waitFor('purge with the new image', async () => {
      const x = await getWl('counters');
      return x.status.resolvedDigest === d2 && x.status.phase === 'Running' ? x : undefined;
    });
    const c2 = (await containerOf('counters'))!;
    expect(c2.Id).not.toBe(c1.Id);
    expect(c2.ImageID).toBe(w.status.imageId);
    expect(await exec(c2.Id, ['/bin/busybox', 'test', '-f', '/state-file'])).toBe(1);
  });

  it('an agent restarted with unchanged counters restarts no container', async () => {
    const ref = `${R}/wl/stable:1`;
    await buildFixture(docker, ref);
    await pushFixture(docker, ref);
    await agent.start();
    await apply(workload('stable', { image: ref, refreshImage: 3, restart: 2, purge: 1 }));
    await untilPhase('stable', 'Running');
    const c = (await containerOf('stable'))!;
    const started = await startedAt(c.Id);
    await agent.kill('SIGKILL');
    await agent.start();
    await new Promise((r) => setTimeout(r, 2500));
    expect((await containerOf('stable'))!.Id).toBe(c.Id);
    expect(await startedAt(c.Id)).toBe(started);
  });

  it('a workload\'s image is never removed by a policy while it exists; after deleting the workload the countdown removes it', async () => {
    const ref = `${R}/wl/guarded:1`;
    const id = await buildFixture(docker, ref);
    await pushFixture(docker, ref);
    await agent.start();
    const wfile = workload('guarded', { image: ref, imagePullPolicy: 'IfNotPresent' });
    await apply(wfile);
    await untilPhase('guarded', 'Running');
    const pfile = join(dir, 'sweep.yaml');
    writeFileSync(pfile, `apiVersion: imagectl.dev/v1alpha1\nkind: ImagePolicy\nmetadata: {name: sweep}\nspec:\n  removal: [{imageName: "${R}/wl/*:*", deleteAfter: 1s}]\n`);
    await apply(pfile);
    // stop the container behind the agent's back: the image is unused, but the workload still needs it
    await docker.getContainer((await containerOf('guarded'))!.Id).stop({ t: 0 });
    await new Promise((r) => setTimeout(r, 2500));
    expect((await docker.getImage(id).inspect()).Id).toBe(id);
    const item = await agent.json<{ status: { protectedBy: string | null } }>(['get', 'image', id, '-o', 'json']);
    expect(item.status.protectedBy).toBe('workload guarded');

    const del = await agent.cli(['delete', 'workload', 'guarded']);
    expect(del.stdout).toBe('workload "guarded" deleted\n');
    await waitFor('the workload container to go', async () => (await containerOf('guarded')) === undefined, 10_000);
    await waitFor('the image to be removed by the policy', async () => docker.getImage(id).inspect().then(() => false, () => true), 10_000);
  });

  it('pull records the image as agent-downloaded; rmi refuses a discovered image and removes a managed one', async () => {
    const ref = `${R}/wl/managed:1`;
    await buildFixture(docker, ref);
    await pushFixture(docker, ref);
    await docker.getImage(ref).remove();
    const discovered = await buildFixture(docker, 'fixture/found:1');
    await agent.start();
    const pulled = await agent.cli(['pull', ref]);
    expect(pulled.code, pulled.stderr).toBe(0);
    expect(pulled.stdout).toMatch(new RegExp(`${ref} pulled: sha256:[a-f0-9]{64}`));
    expect(pulled.stderr).toBe(''); // piped: no progress bars
    const item = await agent.json<{ metadata: { name: string }; status: { agentDownloaded: boolean } }>(['get', 'image', ref, '-o', 'json']);
    expect(item.status.agentDownloaded).toBe(true);

    const refused = await agent.cli(['rmi', 'fixture/found:1']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('not managed by imagectl');
    expect((await docker.getImage(discovered).inspect()).Id).toBe(discovered);

    const rmi = await agent.cli(['rmi', ref]);
    expect(rmi.code, rmi.stderr).toBe(0);
    expect(rmi.stdout).toContain(`Deleted: ${item.metadata.name}`);
    await expect(docker.getImage(item.metadata.name).inspect()).rejects.toThrow();
    const audit = (await agent.cli(['audit', '--image', item.metadata.name, '-o', 'json'])).stdout.trim().split('\n').map((l) => JSON.parse(l));
    // the removal, then the rmi call's own record (it carries the request's start time and is written when the call is done)
    expect(audit.at(-2)).toMatchObject({ to: 'removed' });
    expect(audit.at(-2).reason).toContain('imagectl rmi');
    expect(audit.at(-1)).toMatchObject({ event: 'api.rmi', to: 'succeeded' });

    const bad = await agent.cli(['pull', `${R}/wl/missing:1`]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('pull of');
  });

  it('shows per-layer pull progress on a TTY (and none when piped, see above)', async () => {
    const ref = `${R}/wl/tty:1`;
    await buildFixture(docker, ref);
    await pushFixture(docker, ref);
    await docker.getImage(ref).remove();
    await agent.start();
    // `script` gives the CLI a real pseudo-terminal
    const cmd = `${process.execPath} ${BIN} pull ${ref}`;
    const r = await runCommand('script', ['-qec', cmd, '/dev/null'], { ...process.env, ...agent.env });
    expect(r.code, r.out).toBe(0);
    expect(r.out).toMatch(/[a-f0-9]{12} (Download complete|Pull complete|Extracting|Downloading)\s*\[[█░]+\] \d+%/);
    expect(r.out).toContain(`${ref} pulled: sha256:`);
  });

  it('takes the default pull policy and node labels from --config', async () => {
    const cfg = join(dir, 'agent.yaml');
    writeFileSync(cfg, 'defaultPullPolicy: Never\nnodeLabels: {site: plant-7}\n');
    await agent.dispose();
    agent = new AgentProcess(stack, AgentProcess.tempStateDir(), ['--config', cfg]);
    await agent.start();
    await apply(workload('defaulted', { image: `${R}/wl/nowhere:1` }));
    const w = await untilPhase('defaulted', 'Failed');
    expect(w.status.reason).toBe('ImageNotPresent');
    const health = await agent.cli(['version']);
    expect(health.code).toBe(0);
    const pfile = join(dir, 'sited.yaml');
    writeFileSync(pfile, 'apiVersion: imagectl.dev/v1alpha1\nkind: ImagePolicy\nmetadata: {name: sited}\nspec:\n  nodeSelector: {matchLabels: {site: plant-7}}\n  removal: [{imageName: "x:*", deleteAfter: 1h}]\n');
    await apply(pfile);
    expect((await agent.cli(['describe', 'policy', 'sited'])).stdout).toMatch(/Applies to this node:\s+yes/);
  });

  it('an archive-loaded image leaves no residue: rmi and policy removal both delete the cached tarball', async () => {
    const cache = () => { try { return readdirSync(join(agent.stateDir, 'cache', 'archives')); } catch { return []; } };
    const save = async (ref: string) => {
      await buildFixture(docker, ref);
      const file = join(dir, `${ref.replace(/[/:]/g, '_')}.tar`);
      await pipeline(await docker.getImage(ref).get(), createWriteStream(file));
      await docker.getImage(ref).remove();
      return file;
    };
    const a = await save('offline/a:1');
    const b = await save('offline/b:1');
    await agent.start();

    const bad = await agent.cli(['pull', '--archive', a, '--digest', `sha256:${'1'.repeat(64)}`]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('expected sha256:1111');
    expect(cache()).toEqual([]);

    const la = await agent.cli(['pull', '--archive', a]);
    expect(la.code, la.stderr).toBe(0);
    expect(la.stdout).toContain('Loaded image: offline/a:1');
    expect(cache()).toHaveLength(1);
    const rmi = await agent.cli(['rmi', 'offline/a:1']);
    expect(rmi.code, rmi.stderr).toBe(0);
    expect(rmi.stdout).toContain('Removed residual data');
    expect(cache()).toEqual([]);

    expect((await agent.cli(['pull', '--archive', b])).code).toBe(0);
    expect(cache()).toHaveLength(1);
    const pfile = join(dir, 'offline.yaml');
    writeFileSync(pfile, `apiVersion: imagectl.dev/v1alpha1\nkind: ImagePolicy\nmetadata: {name: offline}\nspec:\n  removal: [{imageName: "offline/*:*", deleteAfter: 1s, agentDownloadedOnly: true}]\n`);
    await apply(pfile);
    await waitFor('policy removal of the archive image', async () => docker.getImage('offline/b:1').inspect().then(() => false, () => true), 10_000);
    await waitFor('the cached tarball to go', async () => cache().length === 0, 5_000);
  });

  it('a workload can run from an archive in the archive directory, and a path escaping it is refused', async () => {
    const ref = 'offline/wl:1';
    await buildFixture(docker, ref);
    await agent.start();
    const archives = join(agent.stateDir, 'archives');
    await pipeline(await docker.getImage(ref).get(), createWriteStream(join(archives, 'wl.tar')));
    await docker.getImage(ref).remove();
    await apply(workload('from-archive', { image: ref, archive: 'wl.tar' }));
    const w = await untilPhase('from-archive', 'Running');
    expect(w.status.imageId).toMatch(/^sha256:/);

    const escape = await agent.cli(['apply', '-f', workload('escape', { image: 'offline/x:1', archive: '../../etc/passwd' })]);
    expect(escape.code).not.toBe(0);
    expect(escape.stderr).toContain('spec.archive');
    const abs = await agent.cli(['apply', '-f', workload('absolute', { image: 'offline/x:1', archive: '/etc/passwd' })]);
    expect(abs.code).toBe(0);
    const failed = await untilPhase('absolute', 'Failed');
    expect(failed.status.reason).toBe('ArchiveOutsideRoots');
  });
});
