/**
 * One repo drives many devices through a real nats-server (Debian's, JetStream in a temp dir,
 * loopback only): two real agents with different labels on the stack's engine follow the hub,
 * each applies exactly the policies that select it and prunes accordingly; get nodes / get images
 * show both; a bad set changes nothing on the hub; a manifest written by hand that does not
 * validate is refused by each device (status and audit say so) and the last good set stays, as is
 * a hostile policy over the cost budget (by hand, or a set past what one agent holds); what a
 * device writes (status, audit) is printed escaped; a
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
import { jetstream } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
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

async function commitRevisionOf(url: string): Promise<number> {
  const { nc, commitRevision } = await hubKv(url);
  try {
    return await commitRevision();
  } finally {
    await nc.close();
  }
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

  it('get nodes shows each node\'s disk: the data root\'s usage, and the thresholds of a disk budget that applies', async () => {
    const budget = '  diskPressure:\n    highThresholdPercent: 99\n    lowThresholdPercent: 98\n    minAge: 1h\n';
    writeSet({ 'b.yaml': policy('plant-b', 'b') + budget, 'all.yaml': policy('everywhere', null) });
    const pub = await publish();
    expect(pub.code, pub.stderr).toBe(0);
    type Disk = { path: string | null; usedRatio: number | null; usedPercent?: number; highThresholdPercent?: number; lowThresholdPercent?: number; underPressure?: boolean };
    const m = await waitFor('dev-b to report its disk budget', async () => {
      const n = await fleetJson<{ items: { metadata: { name: string }; status: { disk: Disk | null } }[] }>(hub.url, ['get', 'nodes', '-o', 'json']);
      const disk = new Map(n.items.map((i) => [i.metadata.name, i.status.disk]));
      return disk.get('dev-b')?.highThresholdPercent === 99 && disk.get('dev-a') ? disk : null;
    }, 50_000, 500);
    const b = m.get('dev-b')!;
    expect(b).toMatchObject({ highThresholdPercent: 99, lowThresholdPercent: 98, underPressure: false });
    expect(b.path).toEqual(expect.any(String));
    expect(b.usedPercent).toBeCloseTo(b.usedRatio! * 100, 1);
    // no budget on dev-a: the data root's usage alone
    expect(m.get('dev-a')!.usedRatio).toBeGreaterThan(0);
    expect(m.get('dev-a')!.highThresholdPercent).toBeUndefined();
    const wide = await fleetCli(hub.url, ['get', 'nodes', '-o', 'wide']);
    expect(wide.stdout).toMatch(/^NAME\s+.*\bDISK\b/);
    expect(wide.stdout).toMatch(/dev-b\s.*\s\d+(\.\d)?% \(99%\/98%\)\s/);
    expect(wide.stdout).toMatch(/dev-a\s.*\s\d+(\.\d)?%\s+Applied/);
    const described = await fleetCli(hub.url, ['describe', 'node', 'dev-b']);
    expect(described.stdout).toMatch(/Disk:\s+.* of .* used \(\/.*\d%\); high 99%, low 98%: not under pressure/);
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
    // the hand-written object is not of the applyset, so a publish with --prune leaves it (as
    // kubectl's prune leaves what it did not apply); deleting it by name makes the devices ready
    const del = await fleetCli(hub.url, ['delete', 'imagepolicy', 'handmade']);
    expect(del.stdout.trim(), del.stderr).toBe('imagepolicy "handmade" deleted');
    expect(del.code).toBe(0);
    const after = await commitRevisionOf(hub.url);
    await converged(hub.url, ['dev-a', 'dev-b'], after);
    const n = await nodes(hub.url);
    expect(['dev-a', 'dev-b'].map((x) => n.get(x)!.status.ready)).toEqual([true, true]);
  });

  // the security issue's finding 1, multiplied by a fleet: one hostile commit reaches every device
  it('a hostile policy on the hub is refused by each device with the cost budget\'s error; the devices stay up and keep the last good set', async () => {
    const bomb = (name: string, n: number, site: string | null) => ({
      apiVersion: 'imagectl.dev/v1alpha1', kind: 'ImagePolicy', metadata: { name },
      spec: { ...(site ? { nodeSelector: { matchLabels: { site } } } : {}), removal: [{ imageName: `fixture/${name}:*`, deleteAfter: '1h' }], keep: Array.from({ length: n }, (_, i) => `fixture/${name}${i}{0..999}:*`) },
    });
    const refusedWith = (re: RegExp) => waitFor(`both devices to refuse with ${re}`, async () => {
      const n = await nodes(hub.url);
      return ['dev-a', 'dev-b'].every((x) => n.get(x)?.status.ready === false && re.test(n.get(x)!.status.reason)) ? n : null;
    }, 60_000, 250);
    // written by hand (the publisher would refuse it): 300 globs of 1000 alternatives, 8 KB
    const { nc, manifests } = await hubKv(hub.url);
    const putCommit = (objects: Record<string, number>) => manifests.put('_commit', JSON.stringify({ objects, publishedAt: new Date().toISOString(), publisher: 'by-hand' }));
    // a publish does not prune what was written by hand (it has no applyset label): the test before
    // left its invalid policy in the set, so the good set is put back by hand, and applied, first
    const live = JSON.parse((await manifests.get('_commit'))!.string()) as { objects: Record<string, number> };
    const good = Object.fromEntries(Object.entries(live.objects).filter(([k]) => k !== 'imagepolicy.handmade'));
    const goodRev = await putCommit(good);
    await converged(hub.url, ['dev-a', 'dev-b'], goodRev);
    await putCommit({ ...good, 'imagepolicy.bomb': await manifests.put('imagepolicy.bomb', JSON.stringify(bomb('bomb', 300, null))) });
    const m = await refusedWith(/spec\.keep\[\d+\]: the policy's patterns expand to more than 5000 brace alternatives/);
    expect(m.get('dev-b')!.status.appliedRevision).toBe(goodRev);
    expect(await policyNames(a)).toEqual(['everywhere']);
    expect(await policyNames(b)).toEqual(['everywhere', 'plant-b']);
    // the good set back, by hand as the bomb came (a publish would keep the bomb in the set)
    await converged(hub.url, ['dev-a', 'dev-b'], await putCommit(good));
    await nc.close();
    // each policy within its own budget, published as usual; together past what one agent holds (20000)
    writeSet({
      'b.yaml': policy('plant-b', 'b'), 'all.yaml': policy('everywhere', null),
      ...Object.fromEntries(Array.from({ length: 6 }, (_, i) => [`big-${i}.json`, JSON.stringify(bomb(`big-${i}`, 4, null))])),
    });
    const r = await publish();
    expect(r.stderr).toBe('');
    const m2 = await refusedWith(/the budget of all policies together/);
    expect(m2.get('dev-a')!.status.reason).toMatch(/refused: .*imagepolicy\/big-\d: with the policies before it/);
    for (const dev of [a, b]) expect((await dev.cli(['version'])).stdout).toMatch(/Docker Engine: reachable/);
    expect(await policyNames(a)).toEqual(['everywhere']);
    expect(await policyNames(b)).toEqual(['everywhere', 'plant-b']);
    writeSet({ 'b.yaml': policy('plant-b', 'b'), 'all.yaml': policy('everywhere', null) });
    expect((await publish()).code).toBe(0);
  }, 240_000);

  // a device writes its own status and audit records: the operator's terminal must not take them as commands
  it('prints what a device wrote escaped: its audit records, its status in describe node', async () => {
    const { nc, commitRevision } = await hubKv(hub.url);
    const js = jetstream(nc);
    const evil = 'fleet revision 1 applied\x1b[2J\x1b]0;owned\x07\nNODE  fake line';
    await js.publish('imagectl.audit.dev-evil', JSON.stringify({ node: 'dev-evil', time: new Date().toISOString(), image: null, tags: ['app:1\x1b[31m'], from: null, to: 'applied', event: 'api.apply', reason: evil, actor: 'fleet dev-evil' }));
    const nodesKv = await new Kvm(js).open('imagectl-nodes');
    await nodesKv.put('dev-evil', JSON.stringify({ node: 'dev-evil', labels: {}, lastSeen: new Date().toISOString(), appliedRevision: await commitRevision(), ready: false, reason: evil, objects: [], disk: null, engine: { reachable: true, error: null }, images: [], workloads: [{ name: 'w', phase: 'Failed', reason: evil, resolvedDigest: null }] }));
    try {
      const audit = await fleetCli(hub.url, ['audit', '--node', 'dev-evil']);
      expect(audit.code).toBe(0);
      const described = await fleetCli(hub.url, ['describe', 'node', 'dev-evil']);
      expect(described.code).toBe(0);
      for (const out of [audit.stdout, described.stdout]) {
        expect(out).not.toMatch(/[\x00-\x08\x0b-\x1f\x7f]/);
        expect(out).toContain(String.raw`applied\x1b[2J\x1b]0;owned\x07\nNODE  fake line`);
        expect(out.split('\n').filter((l) => l.includes('fake line'))).toHaveLength(out === audit.stdout ? 1 : 2);
      }
      expect(audit.stdout).toContain(String.raw`app:1\x1b[31m`);
    } finally {
      await nodesKv.delete('dev-evil');
      await nc.close();
    }
  });
});
