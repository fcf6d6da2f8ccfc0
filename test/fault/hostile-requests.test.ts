/**
 * Requests that try to get around a protection or forge the audit log, on a real engine and
 * registry (security issue, findings 6 and 7). Before: `rmi` ignored `keep`, and a keep match hid
 * that a Workload needed the image (deleted with exit 0); a load `name` and a pull reference with
 * ESC, BEL and a newline were written raw into the audit log, where `imagectl audit` showed a
 * convincing fake transition.
 */
import { createWriteStream, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type Dockerode from 'dockerode';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AgentProcess, waitFor } from '../helpers/agent.js';
import { stackInfo } from '../stack/context.js';
import { buildFixture, dockerFor, emptyEngine, pushFixture } from '../stack/fixtures.js';
import { auditLog, call } from './helpers/api.js';

const stack = stackInfo();
let docker: Dockerode;
let agent: AgentProcess;
const work = mkdtempSync(join(tmpdir(), 'ictl-hostile-req-'));
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

beforeAll(() => {
  docker = dockerFor(stack);
});
afterAll(() => rmSync(work, { recursive: true, force: true }));
beforeEach(async () => {
  await emptyEngine(docker);
  agent = new AgentProcess(stack, AgentProcess.tempStateDir());
});
afterEach(() => agent.dispose());

describe('rmi honours every protection (finding 6)', () => {
  it('a kept image is refused, and a kept image that a Workload needs is refused with both reasons', async () => {
    const ref = `${stack.registry}/hr/kept:1`;
    await buildFixture(docker, ref);
    await pushFixture(docker, ref);
    await docker.getImage(ref).remove();
    await agent.start();
    const apply = (o: object) => call({ socketPath: agent.socket }, 'POST', '/v1/apply', JSON.stringify({ objects: [o] }));
    expect((await apply({ apiVersion: 'imagectl.dev/v1alpha1', kind: 'ImagePolicy', metadata: { name: 'keeper' }, spec: { removal: [{ imageName: '*', deleteAfter: '1h' }], keep: [`${stack.registry}/hr/kept:*`] } })).status).toBe(200);
    expect((await agent.cli(['pull', ref])).code).toBe(0); // managed: the agent downloaded it
    const kept = await agent.cli(['rmi', ref]);
    expect(kept.code).toBe(1);
    expect(kept.stderr).toBe(`error: image ${ref} is protected: kept by keeper/keep[0] (${stack.registry}/hr/kept:*); nothing was removed\n`);
    // a Workload that needs it but cannot run (its pin does not match): the image is not in use
    const wrong = `sha256:${'0'.repeat(64)}`;
    expect((await apply({ apiVersion: 'imagectl.dev/v1alpha1', kind: 'Workload', metadata: { name: 'needs-it' }, spec: { image: `${ref}@${wrong}`, command: ['/bin/busybox', 'sleep', '60'] } })).status).toBe(200);
    await waitFor('the workload to fail on its pin', async () => (await agent.json(['get', 'workloads', 'needs-it', '-o', 'json'])).status.reason === 'DigestMismatch');
    const both = await agent.cli(['rmi', ref]);
    expect(both.code).toBe(1);
    expect(both.stderr).toBe(`error: image ${ref} is protected: kept by keeper/keep[0] (${stack.registry}/hr/kept:*); needed by workload needs-it; nothing was removed\n`);
    expect((await docker.getImage(ref).inspect()).RepoTags).toEqual([ref]);
    const calls = (await auditLog(agent.socket)).filter((r) => r.event === 'api.rmi');
    expect(calls.map((r) => r.to)).toEqual(['failed', 'failed']);
  });
});

describe('nothing unvalidated reaches the audit log or a terminal (finding 7)', () => {
  it('a pull reference and a load name with ESC, BEL and a newline are refused (400) and recorded escaped; audit prints no control character', async () => {
    await buildFixture(docker, 'hr/loadme:1');
    const tar = join(work, 'loadme.tar');
    await pipeline(await docker.getImage('hr/loadme:1').get(), createWriteStream(tar));
    await docker.getImage('hr/loadme:1').remove();
    await agent.start();
    const sock = { socketPath: agent.socket };
    const fake = '\u001b[2K\r2026-01-01T00:00:00.000Z   sha256:feed   idle -> removed   app:1   rule ok\u0007\n';
    const pulled = await call(sock, 'POST', '/v1/pull', JSON.stringify({ ref: `x:1${fake}` }));
    expect(pulled.status).toBe(400);
    expect(pulled.json.message).toMatch(/^invalid image reference "x:1\\u001b\[2K\\r2026/);
    const loaded = await call(sock, 'POST', `/v1/load?name=${encodeURIComponent(`evil${fake}`)}`, readFileSync(tar), { 'content-type': 'application/x-tar' });
    expect(loaded.status).toBe(400);
    expect(loaded.json.message).toContain('invalid archive name');
    // nothing was loaded, nothing cached
    expect((await docker.listImages()).flatMap((i) => i.RepoTags ?? [])).not.toContain('hr/loadme:1');
    let cached: string[] = [];
    try {
      cached = readdirSync(join(agent.stateDir, 'cache', 'archives'));
    } catch {
      // never made
    }
    expect(cached).toEqual([]);
    // the records of the refused calls hold no control character
    const records = (await auditLog(agent.socket)).filter((r) => r.event === 'api.pull' || r.event === 'api.load');
    expect(records.map((r) => `${r.event} ${r.to}`)).toEqual(['api.pull failed', 'api.load failed']);
    for (const r of records) {
      expect(r.reason, r.reason).not.toMatch(CONTROL);
      expect(r.reason).toContain('\\u001b[2K');
    }
    const table = await agent.cli(['audit']);
    expect(table.stdout).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/);
    expect(table.stdout).not.toMatch(/^2026-01-01T00:00:00\.000Z/m);
    const json = await agent.cli(['audit', '-o', 'json']);
    for (const line of json.stdout.trim().split('\n')) expect(JSON.parse(line).reason).not.toMatch(CONTROL);
    // the CLI prints an agent's message escaped too
    const cli = await agent.cli(['pull', `x:1${fake}`]);
    expect(cli.code).toBe(1);
    expect(cli.stderr).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/);
  });
});
