/**
 * The distributed engine for real: a 3-server JetStream cluster on 127.0.0.1 holds the buckets and
 * the audit stream with 3 replicas. One server is killed in the middle of a rollout (the leader of
 * the manifests bucket, and the server a device is connected to): nothing published is lost, every
 * device converges on the last revision, and every audit record reaches the stream once.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stackInfo } from '../stack/context.js';
import { startNatsCluster, type Hub } from '../stack/nats.js';
import { waitFor, type AgentProcess } from '../helpers/agent.js';
import { converged, device, fleetCli, hubKv, policy, policyNames } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'ictl-fleetc-'));
const set = join(dir, 'set');
let hub: Hub;
const devices: AgentProcess[] = [];

type Rec = { node: string; time: string; event: string; to: string; reason: string; image: string | null };
const key = (r: Omit<Rec, 'node'>) => JSON.stringify([r.time, r.event, r.to, r.reason, r.image]);

async function revision(url: string): Promise<number> {
  const k = await hubKv(url);
  const r = await k.commitRevision();
  await k.nc.close();
  return r;
}

beforeAll(async () => {
  hub = await startNatsCluster();
  mkdirSync(set);
  writeFileSync(join(set, 'p0.yaml'), policy('p0', null));
  // the cluster forms and elects a meta leader first: the first publish may need a moment
  await waitFor('the cluster to take the first publish', async () => (await fleetCli(hub.url, ['apply', '-f', set, '--prune', '--applyset', 'rollout'])).code === 0, 60_000, 500);
  for (const [i, site] of ['a', 'b', 'c'].entries()) {
    // each device starts on a different server of the cluster, and knows them all
    const urls = [...hub.servers.slice(i), ...hub.servers.slice(0, i)].map((s) => s.url).join(',');
    devices.push(device(stackInfo(), urls, `c-${site}`, { site }));
  }
  await Promise.all(devices.map((d) => d.start()));
  await converged(hub.url, ['c-a', 'c-b', 'c-c'], await revision(hub.url));
}, 240_000);

afterAll(async () => {
  await Promise.all(devices.map((d) => d.dispose()));
  await hub?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('a 3-server JetStream cluster', () => {
  it('keeps the buckets and the audit stream on 3 replicas', async () => {
    const k = await hubKv(hub.url);
    const jsm = await jetstreamManager(k.nc);
    for (const s of ['KV_imagectl-manifests', 'KV_imagectl-nodes', 'IMAGECTL_AUDIT']) expect((await jsm.streams.info(s)).config.num_replicas).toBe(3);
    await k.nc.close();
  });

  it('loses nothing and every device converges when a server is killed mid-rollout', async () => {
    const k = await hubKv(hub.url);
    const jsm = await jetstreamManager(k.nc);
    const leaderName = (await jsm.streams.info('KV_imagectl-manifests')).cluster?.leader;
    await k.nc.close();
    const victim = hub.servers.find((s) => s.name === leaderName) ?? hub.servers[0]!;
    const rest = hub.servers.filter((s) => s !== victim).map((s) => s.url).join(',');
    writeFileSync(join(set, 'p1.yaml'), policy('p1', 'a'));
    expect((await fleetCli(hub.url, ['apply', '-f', set, '--prune', '--applyset', 'rollout'])).code).toBe(0);
    await victim.stop(true); // SIGKILL, in the middle of the rollout
    writeFileSync(join(set, 'p2.yaml'), policy('p2', 'b'));
    rmSync(join(set, 'p0.yaml'));
    const r = await waitFor('a publish on the two servers left', async () => {
      const out = await fleetCli(rest, ['apply', '-f', set, '--prune', '--applyset', 'rollout']);
      return out.code === 0 ? out : null;
    }, 60_000, 500);
    expect(r.stdout).toContain('imagepolicy/p2 created');
    const latest = await revision(rest);
    await converged(rest, ['c-a', 'c-b', 'c-c'], latest, [], 90_000);

    expect(await policyNames(devices[0]!)).toEqual(['p1']);
    expect(await policyNames(devices[1]!)).toEqual(['p2']);
    expect(await policyNames(devices[2]!)).toEqual([]);
    await victim.start();
    // every device's records, each once, on the stream
    for (const d of devices) {
      const node = d.extraArgs[d.extraArgs.indexOf('--node-name') + 1]!;
      const local = (await d.cli(['audit', '-o', 'json'])).stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Rec);
      const fleet = await waitFor(`${node}'s records on the stream`, async () => {
        const out = await fleetCli(hub.url, ['audit', '--node', node, '-o', 'json']);
        const recs = out.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Rec);
        const have = new Set(recs.map(key));
        return local.every((x) => have.has(key(x))) ? recs : null;
      }, 60_000, 500);
      expect(fleet.length).toBe(new Set(fleet.map(key)).size);
      expect(local.some((x) => x.event === 'api.apply')).toBe(true);
    }
  }, 300_000);
});
