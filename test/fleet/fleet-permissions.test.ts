/**
 * Lock-down: `imagectl fleet nats-config` writes the users and least-privilege permissions that a
 * real nats-server enforces. A node's credentials do the node's whole job (a real agent follows the
 * hub, writes its status and audit, answers fleet pull), and cannot write a manifest, another
 * node's status, or another node's audit subject. Wrong credentials are a clear error.
 */
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstream } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stackInfo } from '../stack/context.js';
import { startNats, type Hub } from '../stack/nats.js';
import { runCli, waitFor, type AgentProcess } from '../helpers/agent.js';
import { converged, device, fleetCli, policy } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'ictl-fleetp-'));
const pw = join(dir, 'passwords');
let hub: Hub;
let agent: AgentProcess;
let ops: string[];
const port = () => hub.url.replace(/^nats:\/\//, '');
const password = (who: string) => readFileSync(join(pw, `${who}.password`), 'utf8').trim();

async function as(who: string): Promise<NatsConnection> {
  return connect({ servers: port(), user: who, pass: password(who), inboxPrefix: `_INBOX_${who}`, maxReconnectAttempts: 0 });
}

/** The server's answer to one attempt: a permissions violation, or that it was allowed. */
async function attempt(fn: () => Promise<unknown>): Promise<string> {
  try {
    await fn();
    return 'allowed';
  } catch (err) {
    return (err as Error).message;
  }
}

beforeAll(async () => {
  const r = await runCli(['fleet', 'nats-config', '--publisher', 'ops', '--node', 'n1', '--node', 'n2', '--password-dir', pw]);
  expect(r.code).toBe(0);
  expect(r.stdout).toMatch(/^authorization \{$/m);
  hub = await startNats({ config: r.stdout });
  ops = ['--fleet-password-file', join(pw, 'ops.password')];
  const url = `nats://ops@${port()}`;
  writeFileSync(join(dir, 'p.yaml'), policy('everywhere', null));
  const applied = await fleetCli(url, ['apply', '-f', join(dir, 'p.yaml')], ops);
  expect(applied.stderr).toBe('');
  agent = device(stackInfo(), `nats://n1@${port()}`, 'n1', { site: 'a' }, ['--fleet-password-file', join(pw, 'n1.password')]);
  await agent.start();
}, 180_000);

afterAll(async () => {
  await agent?.dispose();
  await hub?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('fleet nats-config', () => {
  it('writes one password per user, mode 0600, and a block with every user', () => {
    for (const who of ['ops', 'n1', 'n2']) {
      expect(statSync(join(pw, `${who}.password`)).mode & 0o777).toBe(0o600);
      expect(password(who)).toMatch(/^[A-Za-z0-9_-]{32}$/);
    }
  });

  it('lets a node do its whole job with its own credentials', async () => {
    const url = `nats://ops@${port()}`;
    const k = await as('ops');
    const rev = (await (await new Kvm(jetstream(k)).open('imagectl-manifests')).get('_commit'))!.revision;
    await k.close();
    const m = await converged(url, ['n1'], rev, ops);
    expect(m.get('n1')!.status.ready).toBe(true);
    expect(m.get('n1')!.status.objects).toEqual(['imagepolicy/everywhere']);
    const audit = await waitFor('n1\'s audit record of the apply', async () => {
      const out = await fleetCli(url, ['audit', '--node', 'n1', '-o', 'json'], ops);
      return out.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { event: string; reason: string }).find((x) => x.event === 'api.apply') ?? null;
    }, 30_000, 250);
    expect(audit.reason).toMatch(/fleet revision \d+: imagepolicy\/everywhere created/);
    // a command to the node, answered on the request's reply subject
    const pull = await fleetCli(url, ['pull', 'localhost:1/absent:1', '--node', 'n1'], ops);
    expect(pull.stdout).toMatch(/^n1: error: /);
    // the agent never asked for anything its user may not do
    expect(hub.servers[0]!.logText().split('\n').filter((l) => /Violation/.test(l))).toEqual([]);
  });

  it('refuses a node that writes a manifest, another node\'s status or another node\'s audit subject', async () => {
    const nc = await as('n1');
    const js = jetstream(nc, { timeout: 3_000 });
    const kvm = new Kvm(js);
    const manifests = await kvm.open('imagectl-manifests');
    const nodes = await kvm.open('imagectl-nodes');
    expect(await attempt(() => manifests.put('imagepolicy.evil', '{}'))).toMatch(/Permissions Violation for Publish to "\$KV\.imagectl-manifests\.imagepolicy\.evil"/);
    expect(await attempt(() => manifests.put('_commit', '{}'))).toMatch(/Permissions Violation/);
    expect(await attempt(() => nodes.put('n2', '{"ready":true}'))).toMatch(/Permissions Violation for Publish to "\$KV\.imagectl-nodes\.n2"/);
    expect(await attempt(() => js.publish('imagectl.audit.n2', '{}'))).toMatch(/Permissions Violation for Publish to "imagectl\.audit\.n2"/);
    expect(await attempt(() => nc.request('imagectl.cmd.n2', '{}', { timeout: 1_000 }))).toMatch(/Permissions Violation/);
    // and what it may do, it can: its own status key and audit subject
    expect(await attempt(() => nodes.put('n1', JSON.stringify({ node: 'n1', probe: true })))).toBe('allowed');
    expect(await attempt(() => js.publish('imagectl.audit.n1', JSON.stringify({ probe: true }), { msgID: 'probe-1' }))).toBe('allowed');
    await nc.close();
    // nothing of it reached the hub
    const k = await as('ops');
    const kv = new Kvm(jetstream(k));
    expect(await (await kv.open('imagectl-manifests')).get('imagepolicy.evil')).toBeNull();
    expect(await (await kv.open('imagectl-nodes')).get('n2')).toBeNull();
    const msgs = await (await jetstream(k).jetstreamManager()).streams.getMessage('IMAGECTL_AUDIT', { last_by_subj: 'imagectl.audit.n2' }).catch(() => null);
    expect(msgs).toBeNull();
    await k.close();
  });

  it('takes the password in the URL too', async () => {
    const r = await fleetCli(`nats://ops:${encodeURIComponent(password('ops'))}@${port()}`, ['get', 'nodes', '-o', 'name']);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('node/n1\n');
  });

  it('refuses wrong credentials with a clear error', async () => {
    const r = await fleetCli(`nats://ops:wrong@${port()}`, ['get', 'nodes']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/refused the credentials/);
    expect(r.stderr).not.toContain('wrong');
  });
});
