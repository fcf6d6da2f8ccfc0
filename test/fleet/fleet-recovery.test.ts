/**
 * A device cut off from the hub: killed while two revisions are published, it applies the latest
 * when it is back; records made while the hub was away are sent when it returns, each once. Also
 * the hub-side GitOps (`fleet publish --manifests`), fleet pull/rmi on chosen devices, and the
 * clear refusals (unreachable hub, --fleet with --manifests, a command not available with --fleet).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildFixture, dockerFor, pushFixture } from '../stack/fixtures.js';
import { stackInfo } from '../stack/context.js';
import { freePort, startNats, type Hub } from '../stack/nats.js';
import { spawn } from 'node:child_process';
import { AgentProcess, BIN, NODE_FLAGS, runCli, waitFor } from '../helpers/agent.js';
import { converged, device, fleetCli, hubKv, policy, policyNames } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'ictl-fleetr-'));
const set = join(dir, 'set');
let hub: Hub;
let a: AgentProcess;
let b: AgentProcess;

const revision = async () => {
  const k = await hubKv(hub.url);
  const r = await k.commitRevision();
  await k.nc.close();
  return r;
};

type Rec = { node?: string; time: string; event: string; to: string; reason: string; image: string | null };
const key = (r: Rec) => JSON.stringify([r.time, r.event, r.to, r.reason, r.image]);

beforeAll(async () => {
  hub = await startNats();
  mkdirSync(set);
  writeFileSync(join(set, 'one.yaml'), policy('one', null));
  const r = await runCli(['--fleet', hub.url, 'fleet', 'publish', '--manifests', set, '--once']);
  expect(r.stdout).toBe('imagepolicy/one created\n');
  a = device(stackInfo(), hub.url, 'edge-a', { site: 'a' });
  b = device(stackInfo(), hub.url, 'edge-b', { site: 'b' });
  await Promise.all([a.start(), b.start()]);
  await converged(hub.url, ['edge-a', 'edge-b'], await revision());
}, 180_000);

afterAll(async () => {
  await Promise.all([a?.dispose(), b?.dispose()]);
  await hub?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('a device cut off from the hub', () => {
  it('applies the latest of two revisions published while it was killed', async () => {
    await b.kill('SIGKILL');
    writeFileSync(join(set, 'two.yaml'), policy('two', 'b'));
    expect((await runCli(['--fleet', hub.url, 'fleet', 'publish', '--manifests', set, '--once'])).stdout).toBe('imagepolicy/one unchanged\nimagepolicy/two created\n');
    writeFileSync(join(set, 'three.yaml'), policy('three', 'b'));
    rmSync(join(set, 'one.yaml'));
    const r = await runCli(['--fleet', hub.url, 'fleet', 'publish', '--manifests', set, '--once']);
    expect(r.stdout.split('\n').filter(Boolean).sort()).toEqual(['imagepolicy/one pruned', 'imagepolicy/three created', 'imagepolicy/two unchanged']);
    const latest = await revision();
    await converged(hub.url, ['edge-a'], latest);
    await b.start();
    await converged(hub.url, ['edge-b'], latest);
    expect(await policyNames(b)).toEqual(['three', 'two']);
    expect(await policyNames(a)).toEqual([]);
  });

  it('keeps its records while the hub is away and sends each once when it is back', async () => {
    const docker = dockerFor(stackInfo());
    const ref = `${stackInfo().registry}/fleet/offline:1`;
    await buildFixture(docker, ref);
    await pushFixture(docker, ref);
    await docker.getImage(ref).remove();
    await hub.servers[0]!.stop();
    // made while the hub is away: a managed pull on the device, and its transitions
    const pulled = await b.cli(['pull', ref]);
    expect(pulled.code).toBe(0);
    const local = (await b.cli(['audit', '-o', 'json'])).stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Rec);
    expect(local.some((r) => r.event === 'api.pull' && r.to === 'succeeded')).toBe(true);
    await hub.servers[0]!.start();
    const fleet = await waitFor('every local record in the fleet audit', async () => {
      const out = await fleetCli(hub.url, ['audit', '--node', 'edge-b', '-o', 'json']);
      const recs = out.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Rec);
      const have = new Set(recs.map(key));
      return local.every((r) => have.has(key(r))) ? recs : null;
    }, 60_000, 500);
    const counts = new Map<string, number>();
    for (const r of fleet) counts.set(key(r), (counts.get(key(r)) ?? 0) + 1);
    expect([...counts.values()].filter((n) => n > 1)).toEqual([]);
    expect(fleet.every((r) => r.node === 'edge-b')).toBe(true);
    // a kill and a restart resend nothing that was acknowledged
    await b.kill('SIGKILL');
    await b.start();
    await converged(hub.url, ['edge-b'], await revision());
    const again = (await fleetCli(hub.url, ['audit', '--node', 'edge-b', '-o', 'json'])).stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Rec);
    const seen = new Set<string>();
    const doubled = again.filter((r) => (seen.has(key(r)) ? true : (seen.add(key(r)), false)));
    expect(doubled).toEqual([]);
  });
});

describe('a device started before its hub', () => {
  it('runs without the hub, joins when it comes up, and stops at once while it is away', async () => {
    const port = await freePort();
    const url = `nats://127.0.0.1:${port}`;
    const early = device(stackInfo(), url, 'early', { site: 'z' });
    try {
      await early.start(); // the agent serves with no hub at all
      expect((await early.cli(['version'])).stdout).toMatch(/Docker Engine: reachable/);
      const late = await startNats({ port });
      try {
        writeFileSync(join(dir, 'late.yaml'), policy('late', 'z'));
        expect((await fleetCli(url, ['apply', '-f', join(dir, 'late.yaml')])).code).toBe(0);
        await waitFor('the early device to apply the set', async () => (await policyNames(early)).includes('late'), 60_000, 250);
        const k = await hubKv(url);
        const rev = await k.commitRevision();
        await k.nc.close();
        await converged(url, ['early'], rev);
        await late.servers[0]!.stop();
        await early.stop(); // SIGTERM while the hub is gone: the process ends (nothing keeps it reconnecting)
        expect(early.child).toBeNull();
      } finally {
        await late.stop();
      }
    } finally {
      await early.dispose();
    }
  });
});

describe('hub-side GitOps and following the audit stream', () => {
  it('fleet publish --manifests follows the directory; a broken file keeps the last good set; audit -f shows it', async () => {
    const gitops = join(dir, 'gitops');
    mkdirSync(gitops);
    writeFileSync(join(gitops, 'a.yaml'), policy('from-git', 'a'));
    const pub = spawn(process.execPath, [...NODE_FLAGS, BIN, '--fleet', hub.url, 'fleet', 'publish', '--manifests', gitops, '--interval', '1s'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let log = '';
    pub.stderr!.on('data', (c) => (log += c));
    const follow = spawn(process.execPath, [...NODE_FLAGS, BIN, '--fleet', hub.url, 'audit', '-f', '--node', 'edge-a', '-o', 'json', '--since', '1s'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let followed = '';
    follow.stdout!.on('data', (c) => (followed += c));
    try {
      // the publisher's applyset replaces what the other publishes made: the directory is the whole set
      await waitFor('edge-a to apply the directory', async () => (await policyNames(a)).join() === 'from-git', 30_000, 250);
      writeFileSync(join(gitops, 'broken.yaml'), policy('broken', null, 'whenever'));
      await waitFor('the publisher to refuse the broken file', async () => /not published; the last good set stays/.test(log) && /broken\.yaml:\d+:\d+/.test(log), 30_000, 250);
      expect(await policyNames(a)).toEqual(['from-git']);
      rmSync(join(gitops, 'broken.yaml'));
      writeFileSync(join(gitops, 'more.yaml'), policy('more-from-git', null));
      await waitFor('edge-a to apply the fixed directory', async () => (await policyNames(a)).join() === 'from-git,more-from-git', 30_000, 250);
      await waitFor('audit -f to show the apply on edge-a', async () => /"node":"edge-a".*more-from-git created/.test(followed), 30_000, 250);
    } finally {
      pub.kill('SIGTERM');
      follow.kill('SIGINT');
    }
  });
});

describe('acting on devices', () => {
  it('pre-stages an image on the chosen devices only, and rmi goes to the devices that hold it', async () => {
    const docker = dockerFor(stackInfo());
    const ref = `${stackInfo().registry}/fleet/stage:2`;
    await buildFixture(docker, ref);
    await pushFixture(docker, ref);
    await docker.getImage(ref).remove();
    const r = await fleetCli(hub.url, ['pull', ref, '-l', 'site=a']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^edge-a: ${ref.replace(/[.]/g, '\\.')} pulled: sha256:[0-9a-f]{64}\\n$`));
    const none = await fleetCli(hub.url, ['pull', ref]);
    expect(none.code).not.toBe(0);
    expect(none.stderr).toMatch(/needs --node N or -l/);
    // the two devices share the test's engine: both hold the image, but only edge-a pulled (manages) it
    await waitFor('both devices to report the image', async () => {
      const out = await fleetCli(hub.url, ['get', 'images', ref, '-o', 'json']);
      return (JSON.parse(out.stdout) as { items: unknown[] }).items.length === 2;
    }, 30_000, 250);
    const rmi = await fleetCli(hub.url, ['rmi', ref]);
    expect(rmi.stdout).toMatch(/^edge-a: Deleted: sha256:[0-9a-f]{64}$/m);
    expect(rmi.stdout).toMatch(/^edge-b: error: .*not managed by imagectl/m);
    expect(rmi.code).toBe(1);
    await waitFor('edge-a to report the removal', async () => {
      const out = await fleetCli(hub.url, ['get', 'images', ref, '--node', 'edge-a', '-o', 'name']);
      return out.stdout.trim() === '';
    }, 30_000, 250);
    const gone = await fleetCli(hub.url, ['rmi', ref, '--node', 'edge-a']);
    expect(gone.code).toBe(0);
    expect(gone.stderr).toMatch(/no device holds/);
  });

  it('says clearly when a device fails, with a non-zero exit', async () => {
    const r = await fleetCli(hub.url, ['pull', 'localhost:1/nothing:here', '--node', 'edge-b']);
    expect(r.code).not.toBe(0);
    expect(r.stdout).toMatch(/^edge-b: error: /);
    expect(r.stderr).toMatch(/1 of 1 device\(s\) failed/);
  });
});

describe('clear refusals', () => {
  it('an unreachable hub is a clear error and a non-zero exit', async () => {
    const r = await runCli(['--fleet', 'nats://127.0.0.1:9', 'get', 'nodes']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/cannot reach the fleet hub at nats:\/\/127\.0\.0\.1:9/);
    const apply = await runCli(['--fleet', 'nats://127.0.0.1:9', 'apply', '-f', set]);
    expect(apply.code).not.toBe(0);
    expect(apply.stderr).toMatch(/cannot reach the fleet hub/);
  });

  it('refuses --fleet with --manifests, a command that is not the fleet\'s, and --fleet with --socket', async () => {
    const r = await runCli(['agent', '--fleet', hub.url, '--node-name', 'x', '--manifests', set, '--state-dir', join(dir, 'sd')]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/--fleet and --manifests cannot be combined/);
    const plan = await runCli(['--fleet', hub.url, 'plan']);
    expect(plan.code).not.toBe(0);
    expect(plan.stderr).toMatch(/plan is not available with --fleet/);
    const sock = await runCli(['--fleet', hub.url, '--socket', '/tmp/x.sock', 'get', 'policies']);
    expect(sock.code).not.toBe(0);
    expect(sock.stderr).toMatch(/cannot be combined with --server or --socket/);
    const bad = await runCli(['agent', '--fleet', hub.url, '--node-name', 'Not_A_Label', '--state-dir', join(dir, 'sd')]);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/DNS-1123 label/);
  });
});
