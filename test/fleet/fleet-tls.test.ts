/**
 * TLS to the hub: a `tls://` URL with `--fleet-ca` (and a client certificate with `--fleet-cert`
 * and `--fleet-key` when the hub verifies clients), for the CLI and for a real device. The
 * certificates are made by the harness with openssl.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stackInfo } from '../stack/context.js';
import { makeCertificates, startNats, type Hub, type TlsFiles } from '../stack/nats.js';
import { waitFor, type AgentProcess } from '../helpers/agent.js';
import { device, fleetCli, nodes, policy, policyNames } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'ictl-fleett-'));
let hub: Hub;
let certs: TlsFiles;
let agent: AgentProcess;
let tlsArgs: string[];

beforeAll(async () => {
  certs = makeCertificates(join(dir, 'certs'));
  hub = await startNats({ tls: { ...certs, verify: true } });
  tlsArgs = ['--fleet-ca', certs.ca, '--fleet-cert', certs.clientCert, '--fleet-key', certs.clientKey];
  writeFileSync(join(dir, 'p.yaml'), policy('secure', null));
}, 120_000);

afterAll(async () => {
  await agent?.dispose();
  await hub?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('a hub behind TLS', () => {
  it('publishes over tls:// with the CA and a client certificate', async () => {
    expect(hub.url).toMatch(/^tls:\/\/127\.0\.0\.1:\d+$/);
    const r = await fleetCli(hub.url, ['apply', '-f', join(dir, 'p.yaml')], tlsArgs);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('imagepolicy/secure created\n');
  });

  it('a device follows the hub over TLS', async () => {
    agent = device(stackInfo(), hub.url, 'tls-dev', { site: 'x' }, tlsArgs);
    await agent.start();
    await waitFor('the device to apply the set', async () => (await policyNames(agent)).includes('secure'), 30_000, 250);
    const m = await waitFor('its status', async () => {
      const n = await nodes(hub.url, tlsArgs);
      return n.get('tls-dev')?.status.ready ? n : null;
    }, 30_000, 250);
    expect(m.get('tls-dev')!.status.objects).toEqual(['imagepolicy/secure']);
  });

  it('refuses clearly without the CA, without a client certificate, and in plain text', async () => {
    const noCa = await fleetCli(hub.url, ['get', 'nodes']);
    expect(noCa.code).not.toBe(0);
    expect(noCa.stderr).toMatch(/cannot reach the fleet hub at tls:\/\/127\.0\.0\.1:\d+: .*(certificate|self.signed|verify).*--fleet-ca/i);
    const noCert = await fleetCli(hub.url, ['get', 'nodes'], ['--fleet-ca', certs.ca]);
    expect(noCert.code).not.toBe(0);
    expect(noCert.stderr).toMatch(/cannot reach the fleet hub .*give --fleet-cert and --fleet-key/);
    const plain = await fleetCli(hub.url.replace('tls://', 'nats://'), ['get', 'nodes'], ['--fleet-ca', certs.ca]);
    expect(plain.code).not.toBe(0);
    expect(plain.stderr).toMatch(/need a tls:\/\/ URL/);
    const half = await fleetCli(hub.url, ['get', 'nodes'], ['--fleet-ca', certs.ca, '--fleet-cert', certs.clientCert]);
    expect(half.stderr).toMatch(/--fleet-cert and --fleet-key go together/);
  });
});
