/**
 * The kubectl habits with `--fleet` (issue 16's "whichever lands second"), through the built CLI
 * against a real nats-server and two real agents on the stack's engine: `get nodes -w` and `get
 * images -w` from the hub's KV watch, the published policies' watch, `-o jsonpath=`, `-o
 * custom-columns=`, `--sort-by`, `--no-headers`, `TYPE/NAME`, `-o name` taken back, `-l` on the
 * fleet's images by their engine labels, completion of nodes; and the device's fleet metrics on
 * its API socket (connected, applied revision, unsent audit records), checked by promtool.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildFixture, dockerFor } from '../stack/fixtures.js';
import { stackInfo } from '../stack/context.js';
import { startNats, type Hub } from '../stack/nats.js';
import { runCli, waitFor, type AgentProcess } from '../helpers/agent.js';
import { converged, device, fleetCli, followCli, hubKv, sample, socketGet } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'ictl-fleet-habits-'));
let hub: Hub;
let a: AgentProcess;
let b: AgentProcess;
const followers: ReturnType<typeof followCli>[] = [];
const cli = (...args: string[]) => fleetCli(hub.url, args);

function policyFile(name: string, site: string | null): string {
  const p = join(dir, `${name}.yaml`);
  writeFileSync(p, `apiVersion: imagectl.dev/v1alpha1\nkind: ImagePolicy\nmetadata:\n  name: ${name}\nspec:\n${site ? `  nodeSelector:\n    matchLabels:\n      site: ${site}\n` : ''}  removal:\n    - imageName: "fixture/${name}:*"\n      deleteAfter: 1h\n`);
  return p;
}

function follow(...args: string[]) {
  const f = followCli(['--fleet', hub.url, ...args]);
  followers.push(f);
  return f;
}

async function commitRevision(): Promise<number> {
  const k = await hubKv(hub.url);
  const rev = await k.commitRevision();
  await k.nc.close();
  return rev;
}

beforeAll(async () => {
  hub = await startNats();
  expect((await cli('apply', '-f', policyFile('hab-all', null), '-f', policyFile('hab-a', 'a'))).code).toBe(0);
  a = device(stackInfo(), hub.url, 'dev-a', { site: 'a', rank: '2' });
  b = device(stackInfo(), hub.url, 'dev-b', { site: 'b', rank: '1' });
  await Promise.all([a.start(), b.start()]);
  await converged(hub.url, ['dev-a', 'dev-b'], await commitRevision());
}, 180_000);

afterAll(async () => {
  await Promise.all(followers.map((f) => f.stop()));
  await Promise.all([a?.dispose(), b?.dispose()]);
  await hub?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('get nodes with --fleet, as kubectl prints', () => {
  it('-o jsonpath, custom-columns, --sort-by, --no-headers', async () => {
    expect((await cli('get', 'nodes', '-o', 'jsonpath={.items[*].metadata.name}')).stdout).toBe('dev-a dev-b');
    const cols = await cli('get', 'nodes', '-o', 'custom-columns=NAME:.metadata.name,SITE:.metadata.labels.site,READY:.status.ready', '--sort-by=.metadata.labels.rank');
    expect(cols.stdout).toMatch(/^NAME\s+SITE\s+READY\ndev-b\s+b\s+true\ndev-a\s+a\s+true\n$/);
    const plain = await cli('get', 'nodes', '--no-headers', '--sort-by', '{.metadata.labels.rank}');
    expect(plain.stdout).toMatch(/^dev-b\s+Ready\s+\d+\s+\d+\s+0\s+[^\n]+\ndev-a\s+Ready/);
    expect(plain.stdout).not.toMatch(/NAME/);
    const wide = await cli('get', 'nodes', '-o', 'wide');
    expect(wide.stdout).toMatch(/^NAME\s+STATUS\s+REVISION\s+IMAGES\s+WORKLOADS\s+LAST SEEN\s+DISK\s+REASON\s+LABELS\n/);
    expect(wide.stdout).toMatch(/dev-a\s+Ready.*Applied\s+(rank=2,site=a|site=a,rank=2)\n/);
  });

  it('TYPE/NAME, one object by name, -o name taken back, -l by node labels, NotFound', async () => {
    const names = await cli('get', 'nodes', '-o', 'name');
    expect(names.stdout).toBe('node/dev-a\nnode/dev-b\n');
    const back = await cli('get', ...names.stdout.trim().split('\n'), '-o', 'jsonpath={.items[*].status.ready}');
    expect(back.stdout).toBe('true true');
    const one = JSON.parse((await cli('get', 'node/dev-b', '-o', 'json')).stdout) as { kind: string; metadata: { name: string; labels: Record<string, string> } };
    expect(one).toMatchObject({ kind: 'Node', metadata: { name: 'dev-b', labels: { site: 'b' } } });
    expect((await cli('get', 'no', 'dev-a', '-o', 'jsonpath={.metadata.labels.site}')).stdout).toBe('a');
    expect((await cli('get', 'nodes', '-l', 'site=b', '-o', 'name')).stdout).toBe('node/dev-b\n');
    const missing = await cli('get', 'node/nope');
    expect([missing.code, missing.stderr]).toEqual([1, 'Error from server (NotFound): nodes "nope" not found\n']);
    const local = await runCli(['get', 'nodes']);
    expect(local.code).toBe(1);
    expect(local.stderr).toMatch(/nodes are the fleet's, give --fleet URL/);
  });

  it('get nodes -w: the current nodes, then a row per change as the devices write their status', async () => {
    const before = await commitRevision();
    const w = follow('get', 'nodes', '-w');
    await w.line(/^NAME\s+STATUS\s+REVISION/, 'the header');
    await w.line(new RegExp(`^dev-a\\s+Ready\\s+${before}\\s`));
    await w.line(new RegExp(`^dev-b\\s+Ready\\s+${before}\\s`));
    expect((await cli('apply', '-f', policyFile('hab-b', 'b'))).code).toBe(0);
    const after = await commitRevision();
    expect(after).toBeGreaterThan(before);
    const row = await w.line(new RegExp(`^dev-a\\s+Ready\\s+${after}\\s`));
    await w.line(new RegExp(`^dev-b\\s+Ready\\s+${after}\\s`));
    // the rows line up under the header of the first batch
    expect(row.indexOf(String(after))).toBe(w.out.split('\n')[0]!.indexOf('REVISION'));
    const events = follow('get', 'nodes', '--watch-only', '--output-watch-events', '-o', 'jsonpath={.type} {.object.metadata.name} {.object.status.appliedRevision}{"\\n"}');
    await new Promise((r) => setTimeout(r, 1500)); // the watch is open before the next publish
    expect((await cli('delete', 'imagepolicy/hab-b')).code).toBe(0);
    const last = await commitRevision();
    await events.line(new RegExp(`^MODIFIED dev-a ${last}$`));
    await events.line(new RegExp(`^MODIFIED dev-b ${last}$`));
    expect(events.out).not.toMatch(/^ADDED/m);
  });
});

describe('get images with --fleet', () => {
  it('-w: rows of each node as its images change, -l by the engine labels of the images', async () => {
    const w = follow('get', 'images', '-w', '-l', 'tier=edge');
    await w.line(/^NODE\s+IMAGE ID\s+TAGS\s+STATE/, 'the header');
    const docker = dockerFor(stackInfo());
    await buildFixture(docker, 'fixture/fh-edge:1', { labels: { tier: 'edge' } });
    await buildFixture(docker, 'fixture/fh-core:1', { labels: { tier: 'core' } });
    await w.line(/^dev-a\s+[0-9a-f]{12}\s+fixture\/fh-edge:1\s+idle/);
    await w.line(/^dev-b\s+[0-9a-f]{12}\s+fixture\/fh-edge:1\s+idle/);
    await waitFor('both nodes to report fh-core', async () => (await cli('get', 'images', 'fixture/fh-core:1', '-o', 'name')).stdout.split('\n').filter(Boolean).length === 2, 60_000, 250);
    expect(w.out).not.toContain('fh-core');
  });

  it('-o name taken back, custom-columns, --sort-by, jsonpath, --node, and a name no node holds', async () => {
    const names = (await cli('get', 'images', '-l', 'tier=edge', '-o', 'name')).stdout.trim().split('\n');
    expect(names).toHaveLength(2);
    expect(names[0]).toMatch(/^image\/sha256:[0-9a-f]{64}$/);
    const cols = await cli('get', names[0]!, '-o', 'custom-columns=NODE:.status.node,TAG:.status.tags[0],TIER:.metadata.labels.tier', '--sort-by=.status.node');
    expect(cols.stdout).toMatch(/^NODE\s+TAG\s+TIER\ndev-a\s+fixture\/fh-edge:1\s+edge\ndev-b\s+fixture\/fh-edge:1\s+edge\n$/);
    expect((await cli('get', 'images', 'fixture/fh-edge:1', '--node', 'dev-b', '-o', 'jsonpath={.items[*].status.node}')).stdout).toBe('dev-b');
    expect((await cli('get', 'images', '-l', 'tier in (edge,core)', '--node-selector', 'site=a', '-o', 'jsonpath={.items[*].metadata.labels.tier}')).stdout.split(' ').sort()).toEqual(['core', 'edge']);
    const table = await cli('get', 'images', 'fixture/fh-core:1', '--no-headers');
    expect(table.stdout).toMatch(/^dev-a\s+[0-9a-f]{12}\s+fixture\/fh-core:1\s+idle[^\n]*\ndev-b\s/);
    const none = await cli('get', 'images', 'fixture/fh-nothing:1');
    expect([none.code, none.stdout, none.stderr]).toEqual([0, '', 'No node holds fixture/fh-nothing:1\n']);
    const wrong = await cli('get', 'policies', '--node', 'dev-a');
    expect([wrong.code, wrong.stderr]).toEqual([1, 'error: --node and --node-selector pick the devices of get images; select nodes with -l\n']);
  });
});

describe('the published policies with --fleet', () => {
  it('-o name taken back, jsonpath on one object, and -w as devices apply a new one', async () => {
    const names = (await cli('get', 'policies', '-o', 'name')).stdout.trim().split('\n');
    expect(names).toEqual(['imagepolicy/hab-a', 'imagepolicy/hab-all']);
    expect((await cli('get', ...names, '-o', 'jsonpath={.items[*].status.nodes[*]}')).stdout).toBe('dev-a dev-a dev-b');
    expect((await cli('get', 'imagepolicy/hab-a', '-o', 'jsonpath={.status.reason}')).stdout).toBe('applied on 1 of 2 node(s): dev-a');
    const w = follow('get', 'policies', '-w', '-o', 'custom-columns=NAME:.metadata.name,WHERE:.status.reason');
    await w.line(/^hab-all\s+applied on 2 of 2 node\(s\): dev-a, dev-b$/);
    expect((await cli('apply', '-f', policyFile('hab-new', null))).code).toBe(0);
    await w.line(/^hab-new\s+applied on 2 of 2 node\(s\): dev-a, dev-b$/);
  }, 120_000);
});

describe('completion with --fleet', () => {
  it('offers nodes and their live names', async () => {
    const at = async (line: string, env: Record<string, string> = {}) => (await runCli(['__complete', line], { env })).stdout.split('\n').filter(Boolean);
    expect(await at(`imagectl --fleet ${hub.url} get n`)).toEqual(['nodes']);
    expect(await at(`imagectl --fleet ${hub.url} get node/`)).toEqual(['node/dev-a', 'node/dev-b']);
    expect(await at('imagectl describe node dev-', { IMAGECTL_FLEET: hub.url })).toEqual(['dev-a', 'dev-b']);
    expect(await at('imagectl get n')).not.toContain('nodes');
  });
});

describe('the device\'s fleet metrics', () => {
  it('connected, applied revision and unsent audit records, on the API socket; promtool accepts them', async () => {
    const scrape = async () => (await socketGet(a.socket, '/metrics')).body;
    const rev = await commitRevision();
    await converged(hub.url, ['dev-a'], rev);
    const m = await waitFor('the outbox to drain', async () => {
      const t = await scrape();
      return sample(t, 'imagectl_fleet_audit_unsent_records') === 0 ? t : null;
    }, 60_000, 250);
    expect(sample(m, 'imagectl_fleet_connected')).toBe(1);
    expect(sample(m, 'imagectl_fleet_applied_revision')).toBe(rev);
    expect(sample(m, 'imagectl_fleet_set_refused')).toBe(0);
    expect(sample(m, 'imagectl_fleet_status_writes_total')).toBeGreaterThan(0);
    const check = spawnSync('promtool', ['check', 'metrics'], { input: m, encoding: 'utf8' });
    expect([check.status, check.stdout, check.stderr]).toEqual([0, '', '']);

    // the hub away: not connected, and the records made meanwhile wait in the device's store
    await hub.servers[0]!.stop();
    await waitFor('imagectl_fleet_connected 0', async () => sample(await scrape(), 'imagectl_fleet_connected') === 0, 30_000, 250);
    await buildFixture(dockerFor(stackInfo()), 'fixture/fh-offline:1');
    await waitFor('an unsent audit record', async () => (sample(await scrape(), 'imagectl_fleet_audit_unsent_records') ?? 0) >= 1, 30_000, 250);
    await hub.servers[0]!.start();
    const back = await waitFor('connected again, the records sent', async () => {
      const t = await scrape();
      return sample(t, 'imagectl_fleet_connected') === 1 && sample(t, 'imagectl_fleet_audit_unsent_records') === 0 ? t : null;
    }, 90_000, 250);
    expect(sample(back, 'imagectl_fleet_applied_revision')).toBe(rev);
  });
});
