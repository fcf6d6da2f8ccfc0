/**
 * An API call's audit record carries the time its request started but is written when the request
 * is done, after the records of what the call did (a pull's or a removal's transitions). The
 * device's outbox must still send it to IMAGECTL_AUDIT, once: a fleet pull and a fleet rmi on a
 * device each arrive there as one `api.pull` / `api.rmi` record, next to their transitions.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildFixture, dockerFor, pushFixture } from '../stack/fixtures.js';
import { stackInfo } from '../stack/context.js';
import { startNats, type Hub } from '../stack/nats.js';
import { runCli, waitFor, type AgentProcess } from '../helpers/agent.js';
import { converged, device, fleetCli, hubKv, policy } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'ictl-fleeto-'));
let hub: Hub;
let dev: AgentProcess;

type Rec = { node: string; time: string; event: string; to: string; reason: string; image: string | null };

async function hubAudit(): Promise<Rec[]> {
  const r = await fleetCli(hub.url, ['audit', '--node', 'dev-o', '-o', 'json']);
  expect(r.code).toBe(0);
  return r.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Rec);
}

beforeAll(async () => {
  hub = await startNats();
  const set = join(dir, 'set');
  mkdirSync(set);
  writeFileSync(join(set, 'one.yaml'), policy('one', null));
  expect((await runCli(['--fleet', hub.url, 'fleet', 'publish', '--manifests', set, '--once'])).code).toBe(0);
  dev = device(stackInfo(), hub.url, 'dev-o', { site: 'o' });
  await dev.start();
  const k = await hubKv(hub.url);
  const rev = await k.commitRevision();
  await k.nc.close();
  await converged(hub.url, ['dev-o'], rev);
}, 180_000);

afterAll(async () => {
  await dev?.dispose();
  await hub?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('the audit records of a fleet pull and rmi', () => {
  it('arrive in IMAGECTL_AUDIT exactly once each, after the records the call made', async () => {
    const docker = dockerFor(stackInfo());
    const ref = `${stackInfo().registry}/fleet/order:1`;
    await buildFixture(docker, ref);
    await pushFixture(docker, ref);
    await docker.getImage(ref).remove();
    const pulled = await fleetCli(hub.url, ['pull', ref, '--node', 'dev-o']);
    expect(pulled.code).toBe(0);
    await waitFor('the device to report the image', async () => {
      const out = await fleetCli(hub.url, ['get', 'images', ref, '--node', 'dev-o', '-o', 'name']);
      return out.stdout.trim() !== '';
    }, 30_000, 250);
    const removed = await fleetCli(hub.url, ['rmi', ref, '--node', 'dev-o']);
    expect(removed.stdout).toMatch(/^dev-o: Deleted: sha256:[0-9a-f]{64}$/m);
    // a later call whose record the outbox sends after everything written before it
    const marker = await fleetCli(hub.url, ['pull', 'localhost:1/marker:here', '--node', 'dev-o']);
    expect(marker.code).not.toBe(0);
    const recs = await waitFor('the marker call in the hub\'s audit', async () => {
      const all = await hubAudit();
      return all.some((r) => r.event === 'api.pull' && r.to === 'failed') ? all : null;
    }, 60_000, 500);
    const markerAt = Date.parse(recs.find((r) => r.event === 'api.pull' && r.to === 'failed')!.time);
    const local = (await dev.cli(['audit', '-o', 'json'])).stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Rec)
      .filter((l) => Date.parse(l.time) <= markerAt);
    const pulls = recs.filter((r) => r.event === 'api.pull' && r.to === 'succeeded');
    const rmis = recs.filter((r) => r.event === 'api.rmi');
    expect(local.filter((r) => r.event === 'api.rmi')).toHaveLength(1);
    expect(pulls).toHaveLength(1);
    expect(rmis).toHaveLength(1);
    expect(rmis[0]!.to).toBe('succeeded');
    expect(rmis[0]!.node).toBe('dev-o');
    // every record of the device is on the hub once
    const ids = recs.map((r) => JSON.stringify([r.time, r.event, r.to, r.reason, r.image]));
    expect(new Set(ids).size).toBe(ids.length);
    for (const l of local) expect(ids).toContain(JSON.stringify([l.time, l.event, l.to, l.reason, l.image]));
  });
});
