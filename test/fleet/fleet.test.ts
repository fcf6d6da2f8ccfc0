/**
 * One repo drives many devices through a real nats-server (Debian's, JetStream in a temp dir,
 * loopback only): two real agents with different labels on the stack's engine follow the hub,
 * each applies exactly the policies that select it and prunes accordingly; get nodes / get images
 * show both; a bad set changes nothing on the hub; a manifest written by hand that does not
 * validate is refused by each device (status and audit say so) and the last good set stays; a
 * device killed while two revisions are published applies the latest when it is back and its
 * audit records arrive once; fleet pull and rmi act on the chosen devices.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildFixture, dockerFor, pushFixture } from '../stack/fixtures.js';
import { stackInfo } from '../stack/context.js';
import { startNats, type Hub } from '../stack/nats.js';
import { waitFor, type AgentProcess } from '../helpers/agent.js';
import { converged, device, fleetCli, fleetJson, hubKv, nodes, policy, policyNames } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'ictl-fleet-'));
const set = join(dir, 'set');
let hub: Hub;
let a: AgentProcess;
let b: AgentProcess;

function writeSet(files: Record<string, string>): void {
  rmSync(set, { recursive: true, force: true });
  mkdirSync(set);
  for (const [n, t] of Object.entries(files)) writeFileSync(join(set, n), t);
}

const publish = () => fleetCli(hub.url, ['apply', '-f', set, '--prune', '--applyset', 'plants']);

beforeAll(async () => {
  hub = await startNats();
  writeSet({ 'a.yaml': policy('plant-a', 'a'), 'b.yaml': policy('plant-b', 'b'), 'all.yaml': policy('everywhere', null) });
  const r = await publish();
  expect(r.stderr).toBe('');
  expect(r.stdout.split('\n').filter(Boolean).sort()).toEqual(['imagepolicy/everywhere created', 'imagepolicy/plant-a created', 'imagepolicy/plant-b created']);
  a = device(stackInfo(), hub.url, 'dev-a', { site: 'a' });
  b = device(stackInfo(), hub.url, 'dev-b', { site: 'b' });
  await Promise.all([a.start(), b.start()]);
}, 180_000);

afterAll(async () => {
  await Promise.all([a?.dispose(), b?.dispose()]);
  await hub?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('a fleet of two devices', () => {
  it('gives each device exactly the policies that select it, and get nodes shows both', async () => {
    const { nc, commitRevision } = await hubKv(hub.url);
    const rev = await commitRevision();
    await nc.close();
    const m = await converged(hub.url, ['dev-a', 'dev-b'], rev);
    expect(await policyNames(a)).toEqual(['everywhere', 'plant-a']);
    expect(await policyNames(b)).toEqual(['everywhere', 'plant-b']);
    expect(m.get('dev-a')!.status.ready).toBe(true);
    expect(m.get('dev-a')!.metadata.labels).toEqual({ site: 'a' });
    expect(m.get('dev-b')!.status.objects.sort()).toEqual(['imagepolicy/everywhere', 'imagepolicy/plant-b']);
    const policies = await fleetCli(hub.url, ['get', 'policies', '-o', 'wide']);
    expect(policies.stdout).toMatch(/plant-a\s+1\s+0\s+yes\s+\S+\s+applied on 1 of 2 node\(s\): dev-a/);
    expect(policies.stdout).toMatch(/everywhere\s+1\s+0\s+yes\s+\S+\s+applied on 2 of 2 node\(s\): dev-a, dev-b/);
    const described = await fleetCli(hub.url, ['describe', 'node', 'dev-b']);
    expect(described.stdout).toMatch(/Labels:\s+site=b/);
    expect(described.stdout).toMatch(/Objects:\s+imagepolicy\/everywhere, imagepolicy\/plant-b/);
    const table = await fleetCli(hub.url, ['get', 'nodes']);
    expect(table.stdout).toMatch(/^NAME\s+STATUS\s+REVISION/);
    expect(table.stdout).toMatch(new RegExp(`dev-a\\s+Ready\\s+${rev}`));
    expect(table.stdout).toMatch(new RegExp(`dev-b\\s+Ready\\s+${rev}`));
  });

  it('get images --fleet lists each node\'s images with a NODE column and status.node', async () => {
    const docker = dockerFor(stackInfo());
    const ref = `${stackInfo().registry}/fleet/app:1.2`;
    await buildFixture(docker, ref);
    await pushFixture(docker, ref);
    const list = await waitFor('both nodes to report the image', async () => {
      const l = await fleetJson<{ kind: string; items: { metadata: { name: string }; status: { node: string; tags: string[] } }[] }>(hub.url, ['get', 'images', ref, '-o', 'json']);
      return new Set(l.items.map((i) => i.status.node)).size === 2 ? l : null;
    }, 60_000, 500);
    expect(list.kind).toBe('ImageList');
    expect(list.items.every((i) => i.status.tags.includes(ref))).toBe(true);
    const one = await fleetJson<{ items: { status: { node: string } }[] }>(hub.url, ['get', 'images', ref, '--node', 'dev-b', '-o', 'json']);
    expect(one.items.map((i) => i.status.node)).toEqual(['dev-b']);
    const bySel = await fleetJson<{ items: { status: { node: string } }[] }>(hub.url, ['get', 'images', ref, '--node-selector', 'site=a', '-o', 'json']);
    expect(bySel.items.map((i) => i.status.node)).toEqual(['dev-a']);
    const table = await fleetCli(hub.url, ['get', 'images', ref]);
    expect(table.stdout).toMatch(/^NODE\s+IMAGE ID\s+TAGS/);
    expect(table.stdout).toMatch(/dev-a\s+[0-9a-f]{12}/);
  });

  it('prunes on each device what the set drops, and only there', async () => {
    writeSet({ 'b.yaml': policy('plant-b', 'b'), 'all.yaml': policy('everywhere', null) });
    const r = await publish();
    expect(r.stdout).toContain('imagepolicy/plant-a pruned');
    const { nc, commitRevision } = await hubKv(hub.url);
    const rev = await commitRevision();
    await nc.close();
    await converged(hub.url, ['dev-a', 'dev-b'], rev);
    expect(await policyNames(a)).toEqual(['everywhere']);
    expect(await policyNames(b)).toEqual(['everywhere', 'plant-b']);
  });

  it('refuses a bad set before anything is written', async () => {
    const { nc, commitRevision, manifests } = await hubKv(hub.url);
    const before = await commitRevision();
    const keysBefore = (await manifests.status()).values;
    writeSet({ 'b.yaml': policy('plant-b', 'b', '1h'), 'bad.yaml': policy('broken', null, 'soon') });
    const r = await publish();
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/bad\.yaml:\d+:\d+ spec\.removal\[0\]\.deleteAfter/);
    expect(r.stderr).toMatch(/nothing was applied/);
    expect(await commitRevision()).toBe(before);
    expect((await manifests.status()).values).toBe(keysBefore);
    await nc.close();
  });

  it('refuses a manifest written into the bucket by hand that does not validate; the last good set stays', async () => {
    const { nc, manifests, commitRevision } = await hubKv(hub.url);
    const good = JSON.parse((await manifests.get('_commit'))!.string()) as { objects: Record<string, number> };
    const badRev = await manifests.put('imagepolicy.handmade', JSON.stringify({ apiVersion: 'imagectl.dev/v1alpha1', kind: 'ImagePolicy', metadata: { name: 'handmade' }, spec: { removal: [{ imageName: 'x', deleteAfter: 'never' }] } }));
    const before = await commitRevision();
    await manifests.put('_commit', JSON.stringify({ objects: { ...good.objects, 'imagepolicy.handmade': badRev }, publishedAt: new Date().toISOString(), publisher: 'by-hand' }));
    await nc.close();
    const m = await waitFor('both devices to refuse', async () => {
      const n = await nodes(hub.url);
      return ['dev-a', 'dev-b'].every((x) => n.get(x)?.status.ready === false) ? n : null;
    }, 30_000, 250);
    expect(m.get('dev-a')!.status.reason).toMatch(/refused: .*spec\.removal\[0\]/);
    expect(m.get('dev-a')!.status.appliedRevision).toBe(before);
    expect(await policyNames(a)).toEqual(['everywhere']);
    expect(await policyNames(b)).toEqual(['everywhere', 'plant-b']);
    const audit = await waitFor('the refusal in the fleet audit', async () => {
      const r = await fleetCli(hub.url, ['audit', '--node', 'dev-b', '-o', 'json']);
      const lines = r.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { node: string; event: string; to: string; reason: string });
      return lines.find((l) => l.event === 'api.apply' && l.to === 'failed' && /refused/.test(l.reason)) ?? null;
    }, 30_000, 500);
    expect(audit.node).toBe('dev-b');
    // a good publish over it makes the devices ready again
    writeSet({ 'b.yaml': policy('plant-b', 'b'), 'all.yaml': policy('everywhere', null) });
    expect((await publish()).code).toBe(0);
  });
});
