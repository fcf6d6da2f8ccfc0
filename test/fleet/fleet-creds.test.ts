/**
 * `--fleet-creds FILE`: a NATS `.creds` file (a JWT and the user's nkey seed). The hub here knows
 * the user by its nkey (no operator: it checks the nonce signed with the seed and reads no JWT), so
 * the test proves that the seed is read from the file and signs the connection; a creds file that
 * cannot be parsed, or a seed the hub does not know, is a clear error.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createUser } from '@nats-io/nkeys';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNats, type Hub } from '../stack/nats.js';
import { fleetCli, policy } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'ictl-fleetk-'));
let hub: Hub;

function credsFile(name: string, seed: string): string {
  const file = join(dir, `${name}.creds`);
  // the JWT part: a placeholder (this hub has no operator); the seed is what signs
  writeFileSync(file, `-----BEGIN NATS USER JWT-----\neyJ0eXAiOiJKV1QiLCJhbGciOiJlZDI1NTE5LW5rZXkifQ.e30.AA\n------END NATS USER JWT------\n\n************************* IMPORTANT *************************\nNKEY Seed printed below can be used to sign and prove identity.\n\n-----BEGIN USER NKEY SEED-----\n${seed}\n------END USER NKEY SEED------\n\n*************************************************************\n`, { mode: 0o600 });
  return file;
}

const ops = createUser();
const stranger = createUser();
const seedOf = (k: typeof ops) => new TextDecoder().decode(k.getSeed());

beforeAll(async () => {
  hub = await startNats({ config: `authorization { users: [ { nkey: "${ops.getPublicKey()}" } ] }` });
  writeFileSync(join(dir, 'p.yaml'), policy('by-nkey', null));
}, 60_000);

afterAll(async () => {
  await hub?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('--fleet-creds', () => {
  it('connects with the seed of a .creds file', async () => {
    const r = await fleetCli(hub.url, ['apply', '-f', join(dir, 'p.yaml')], ['--fleet-creds', credsFile('ops', seedOf(ops))]);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('imagepolicy/by-nkey created\n');
  });

  it('refuses a seed the hub does not know, an unparsable file, and a user in the URL besides', async () => {
    const other = await fleetCli(hub.url, ['get', 'policies'], ['--fleet-creds', credsFile('stranger', seedOf(stranger))]);
    expect(other.code).not.toBe(0);
    expect(other.stderr).toMatch(/refused the credentials/);
    writeFileSync(join(dir, 'broken.creds'), 'not a creds file\n');
    const broken = await fleetCli(hub.url, ['get', 'policies'], ['--fleet-creds', join(dir, 'broken.creds')]);
    expect(broken.code).not.toBe(0);
    expect(broken.stderr).toMatch(/--fleet-creds .*broken\.creds: not a NATS \.creds file/);
    const both = await fleetCli(hub.url.replace('nats://', 'nats://ops@'), ['get', 'policies'], ['--fleet-creds', credsFile('ops', seedOf(ops))]);
    expect(both.stderr).toMatch(/--fleet-creds cannot be combined with a user in the URL/);
  });
});
