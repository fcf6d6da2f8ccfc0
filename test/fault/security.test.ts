/**
 * The local API's security, on a real engine: socket mode and directory, stale sockets, the
 * optional TCP listener with its bearer token, body caps and error codes, paths that try to leave
 * the state dir, validated references, the audit of every mutating call with its actor, and two
 * static properties of the product code (no shell, no forced image removal).
 */
import { spawn } from 'node:child_process';
import { chmodSync, createWriteStream, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import http from 'node:http';
import net from 'node:net';
import type Dockerode from 'dockerode';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AgentProcess, runCli, waitFor } from '../helpers/agent.js';
import { stackInfo } from '../stack/context.js';
import { buildFixture, dockerFor, emptyEngine, pushFixture } from '../stack/fixtures.js';
import { auditLog, call } from './helpers/api.js';
import { tcpListeners } from './helpers/proc.js';

const stack = stackInfo();
let docker: Dockerode;
let agent: AgentProcess;
const work = mkdtempSync(join(tmpdir(), 'ictl-sec-'));
const ROOT = resolve(import.meta.dirname, '../..');

const freePort = () => new Promise<number>((res) => {
  const s = net.createServer().listen(0, '127.0.0.1', () => {
    const { port } = s.address() as net.AddressInfo;
    s.close(() => res(port));
  });
});
const policyDoc = (name: string) => ({ apiVersion: 'imagectl.dev/v1alpha1', kind: 'ImagePolicy', metadata: { name }, spec: { removal: [{ imageName: 'sec/*:*', deleteAfter: '1h' }] } });

beforeAll(() => {
  docker = dockerFor(stack);
});
beforeEach(async () => {
  await emptyEngine(docker);
  agent = new AgentProcess(stack, AgentProcess.tempStateDir());
});
afterEach(() => agent.dispose());

describe('the unix socket', () => {
  it('is 0600 in a 0700 state dir by default, and 0660 owned by the group with --socket-group', async () => {
    await agent.start();
    const st = statSync(agent.socket);
    expect(st.isSocket()).toBe(true);
    expect(st.mode & 0o777).toBe(0o600);
    expect(statSync(agent.stateDir).mode & 0o002).toBe(0);
    await agent.dispose();

    agent = new AgentProcess(stack, AgentProcess.tempStateDir(), ['--socket-group', '4242']);
    await agent.start();
    const g = statSync(agent.socket);
    expect(g.mode & 0o777).toBe(0o660);
    expect(g.gid).toBe(4242);
    const h = await call({ socketPath: agent.socket }, 'POST', '/v1/apply', JSON.stringify({ objects: [policyDoc('grouped')] }));
    expect(h.status).toBe(200);
    expect((await auditLog(agent.socket)).find((r) => r.event === 'api.apply')?.actor).toBe('group:4242');
  });

  it('refuses a world-writable socket directory or state directory', async () => {
    const open = join(work, 'open');
    mkdirSync(open, { recursive: true });
    chmodSync(open, 0o777);
    const r1 = await runCli(['agent', '--socket', join(open, 's.sock')], { env: agent.env });
    expect(r1.code).not.toBe(0);
    expect(r1.stderr).toMatch(/socket directory .*open is world-writable/);
    expect(existsSync(join(open, 's.sock'))).toBe(false);
    chmodSync(agent.stateDir, 0o777);
    const r2 = await runCli(['agent'], { env: agent.env });
    expect(r2.code).not.toBe(0);
    expect(r2.stderr).toMatch(/state directory .* is world-writable/);
  });

  it('replaces a stale socket only when no agent answers on it, and never replaces a file that is not a socket', async () => {
    // a stale socket: its listener was SIGKILLed, the file stays
    const child = spawn(process.execPath, ['-e', `require('net').createServer().listen(${JSON.stringify(agent.socket)}, () => console.log('up'))`], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise((r) => child.stdout!.once('data', r));
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    expect(lstatSync(agent.socket).isSocket()).toBe(true);
    await agent.start();
    expect((await call({ socketPath: agent.socket }, 'GET', '/v1/health')).json.pid).toBe(agent.child!.pid);

    // a live agent answers: a second one leaves its socket alone
    const second = await runCli(['agent', '--state-dir', AgentProcess.tempStateDir(), '--socket', agent.socket], { env: { DOCKER_HOST: stack.dockerHost } });
    expect(second.code).not.toBe(0);
    expect(second.stderr).toMatch(/another imagectl agent \(pid \d+\) is already serving/);
    expect((await call({ socketPath: agent.socket }, 'GET', '/v1/health')).json.pid).toBe(agent.child!.pid);
    await agent.dispose();

    // a regular file where the socket should go is not deleted
    agent = new AgentProcess(stack, AgentProcess.tempStateDir());
    writeFileSync(agent.socket, 'precious');
    const r = await runCli(['agent'], { env: agent.env });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('exists and is not a socket');
    expect(readFileSync(agent.socket, 'utf8')).toBe('precious');
  });
});

describe('TCP', () => {
  it('nothing listens on TCP by default', async () => {
    await agent.start();
    expect(tcpListeners(agent.child!.pid!)).toEqual([]);
  });

  it('--listen needs --token-file, refuses a token file others can read, and then answers 401 to every request without the token', async () => {
    const port = await freePort();
    const noToken = await runCli(['agent', '--listen', `127.0.0.1:${port}`], { env: agent.env });
    expect(noToken.code).not.toBe(0);
    expect(noToken.stderr).toContain('--listen needs --token-file');

    const tokenFile = join(work, 'token');
    const token = 'a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6';
    writeFileSync(tokenFile, `${token}\n`, { mode: 0o644 });
    chmodSync(tokenFile, 0o644);
    const loose = await runCli(['agent', '--listen', `127.0.0.1:${port}`, '--token-file', tokenFile], { env: agent.env });
    expect(loose.code).not.toBe(0);
    expect(loose.stderr).toContain('accessible to other users');
    chmodSync(tokenFile, 0o600);

    agent = new AgentProcess(stack, agent.stateDir, ['--listen', `127.0.0.1:${port}`, '--token-file', tokenFile]);
    await agent.start();
    expect(tcpListeners(agent.child!.pid!)).toEqual([`127.0.0.1:${port}`]);
    const tcp = { host: '127.0.0.1', port };
    const attempts: Record<string, string>[] = [{}, { authorization: 'Bearer wrong' }, { authorization: `Bearer ${token}x` }, { authorization: `Basic ${token}` }, { authorization: token }];
    for (const headers of attempts) {
      const h = await call(tcp, 'GET', '/v1/health', undefined, headers);
      expect(h.status, JSON.stringify(headers)).toBe(401);
      expect(h.headers['www-authenticate']).toBe('Bearer');
      expect(h.text).not.toContain('stateDir');
    }
    const denied = await call(tcp, 'POST', '/v1/apply', JSON.stringify({ objects: [policyDoc('via-tcp')] }), { authorization: 'Bearer nope' });
    expect(denied.status).toBe(401);
    expect((await call({ socketPath: agent.socket }, 'GET', '/v1/objects/imagepolicy')).json.items).toEqual([]);

    const auth = { authorization: `Bearer ${token}` };
    expect((await call(tcp, 'GET', '/v1/health', undefined, auth)).status).toBe(200);
    const applied = await call(tcp, 'POST', '/v1/apply', JSON.stringify({ objects: [policyDoc('via-tcp')] }), auth);
    expect(applied.status).toBe(200);
    const rec = (await auditLog(agent.socket)).find((r) => r.event === 'api.apply');
    expect(rec).toMatchObject({ actor: 'token', to: 'succeeded', image: null, reason: 'apply imagepolicy/via-tcp created' });

    // the CLI over TCP: --server with the same --token-file (no unix socket involved)
    const remote = ['--socket', join(work, 'no-such.sock'), '--server', `http://127.0.0.1:${port}`, '--token-file', tokenFile];
    const got = await runCli([...remote, 'get', 'policies', '-o', 'name'], { env: agent.env });
    expect([got.code, got.stdout, got.stderr]).toEqual([0, 'imagepolicy/via-tcp\n', '']);
    const wrongFile = join(work, 'wrong-token');
    writeFileSync(wrongFile, 'not-the-token-at-all\n', { mode: 0o600 });
    const wrong = await runCli([...remote.slice(0, 4), '--token-file', wrongFile, 'get', 'policies'], { env: agent.env });
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toBe('error: unauthorized: send Authorization: Bearer <token from --token-file>\n');
    const noFile = await runCli([...remote.slice(0, 4), 'get', 'policies'], { env: agent.env });
    expect([noFile.code, noFile.stderr]).toEqual([1, "error: --server needs --token-file (the agent's TCP API always asks for its token)\n"]);
    const nobody = await runCli(['--server', `http://127.0.0.1:${await freePort()}`, '--token-file', tokenFile, 'get', 'policies'], { env: agent.env });
    expect(nobody.code).toBe(1);
    expect(nobody.stderr).toMatch(/^error: cannot reach the imagectl agent at http:\/\/127\.0\.0\.1:\d+: nobody is listening/);
  });
});

describe('requests', () => {
  it('a body over the cap gets a clear 413 (8 MiB by default, or --max-body-bytes), malformed JSON 400, unknown routes 404, a wrong method 405', async () => {
    await agent.start();
    const sock = { socketPath: agent.socket };
    const big = Buffer.alloc(8 * 1024 * 1024 + 10, 0x20);
    const tooBig = await call(sock, 'POST', '/v1/apply', big);
    expect(tooBig.status).toBe(413);
    expect(tooBig.json.message).toBe('request body too large: the limit is 8388608 bytes (agent flag --max-body-bytes)');
    // without Content-Length (chunked), the cap holds while reading
    const chunked = await new Promise<number>((res, rej) => {
      const req = http.request({ socketPath: agent.socket, method: 'POST', path: '/v1/apply', headers: { 'transfer-encoding': 'chunked' } }, (r) => {
        r.resume();
        res(r.statusCode ?? 0);
      });
      req.on('error', rej);
      for (let i = 0; i < 9; i++) req.write(Buffer.alloc(1024 * 1024, 0x20));
      req.end();
    });
    expect(chunked).toBe(413);
    const bad = await call(sock, 'POST', '/v1/apply', '{"objects": [');
    expect(bad.status).toBe(400);
    expect(bad.json.message).toMatch(/^malformed JSON/);
    expect((await call(sock, 'GET', '/v1/nope')).status).toBe(404);
    expect((await call(sock, 'GET', '/v1/../../etc/passwd')).status).toBe(404);
    expect((await call(sock, 'DELETE', '/v1/health')).status).toBe(405);
    // the agent is fine afterwards
    expect((await call(sock, 'POST', '/v1/apply', JSON.stringify({ objects: [policyDoc('after')] }))).status).toBe(200);
    await agent.dispose();

    agent = new AgentProcess(stack, AgentProcess.tempStateDir(), ['--max-body-bytes', '64Ki']);
    await agent.start();
    const capped = await call({ socketPath: agent.socket }, 'POST', '/v1/apply', Buffer.alloc(70 * 1024, 0x20));
    expect(capped.status).toBe(413);
    expect(capped.json.message).toContain('the limit is 65536 bytes');
    expect((await call({ socketPath: agent.socket }, 'POST', '/v1/apply', JSON.stringify({ objects: [policyDoc('small')] }))).status).toBe(200);
  });

  it('no request reads or writes outside the state dir: ../ and symlinks out of the archive directory are refused', async () => {
    await buildFixture(docker, 'sec/archived:1');
    await agent.start();
    const sock = { socketPath: agent.socket };
    const wl = (name: string, archive: string) => ({ apiVersion: 'imagectl.dev/v1alpha1', kind: 'Workload', metadata: { name }, spec: { image: 'sec/other:1', archive, command: ['/bin/busybox', 'sleep', '60'] } });
    const dotdot = await call(sock, 'POST', '/v1/apply', JSON.stringify({ objects: [wl('escape', '../../../etc/passwd')] }));
    expect(dotdot.status).toBe(422);
    expect(JSON.stringify(dotdot.json.details)).toContain('spec.archive');

    // a symlink inside the archive directory that points out of it
    const archives = join(agent.stateDir, 'archives');
    const outside = join(work, 'outside.tar');
    await pipeline(await docker.getImage('sec/archived:1').get(), createWriteStream(outside));
    symlinkSync(outside, join(archives, 'link.tar'));
    expect((await call(sock, 'POST', '/v1/apply', JSON.stringify({ objects: [wl('linked', 'link.tar')] }))).status).toBe(200);
    const failed = await waitFor('the workload to fail', async () => {
      const w = (await call(sock, 'GET', '/v1/workloads/linked')).json;
      return w.status.phase === 'Failed' ? w : undefined;
    });
    expect(failed.status.reason).toBe('ArchiveOutsideRoots');
    const cached = () => { try { return readdirSync(join(agent.stateDir, 'cache', 'archives')); } catch { return []; } };
    expect(cached()).toEqual([]);

    // a load named with ../ writes only the digest-named cache file (of an image that was not there:
    // one already present is not the agent's download, and its archive is nobody's residual)
    await docker.getImage('sec/archived:1').remove();
    const before = readdirSync(work);
    const loaded = await call(sock, 'POST', `/v1/load?name=${encodeURIComponent('../../../evil')}`, readFileSync(outside), { 'content-type': 'application/x-tar' });
    expect(loaded.status).toBe(200);
    expect(readdirSync(work)).toEqual(before);
    expect(cached()).toEqual([`${loaded.json.archiveDigest.slice(7)}.tar`]);
  });

  it('image references are validated before the engine sees them', async () => {
    await agent.start();
    const sock = { socketPath: agent.socket };
    const events: string[] = [];
    const stream = await docker.getEvents({ filters: JSON.stringify({ type: ['image'] }) });
    stream.on('data', (c: Buffer) => events.push(c.toString()));
    try {
      for (const ref of ['../../etc/passwd', 'a b:1', '--help', 'lower/UPPER:1', 'x:1;rm -rf /', '$(id):1', '']) {
        const r = await call(sock, 'POST', '/v1/pull', JSON.stringify({ ref }));
        expect(r.status, ref).toBe(400);
        expect(r.json.message, ref).toMatch(/invalid image reference/);
      }
      for (const ref of ['../../x', 'sha256:zz']) expect((await call(sock, 'POST', '/v1/rmi', JSON.stringify({ ref }))).status).toBe(404);
      await new Promise((r) => setTimeout(r, 300));
    } finally {
      (stream as unknown as { destroy(): void }).destroy();
    }
    expect(events).toEqual([]);
  });
});

describe('audit of API calls', () => {
  it('every mutating call (apply, delete, refresh, pull, load, rmi) is recorded with its actor; audit --image shows the calls on that image', async () => {
    const R = stack.registry;
    const ref = `${R}/sec/pulled:1`;
    await buildFixture(docker, ref);
    await pushFixture(docker, ref);
    await docker.getImage(ref).remove();
    await buildFixture(docker, 'sec/run:1');
    const tarFile = join(work, 'loaded.tar');
    await buildFixture(docker, 'sec/loaded:1');
    await pipeline(await docker.getImage('sec/loaded:1').get(), createWriteStream(tarFile));
    await docker.getImage('sec/loaded:1').remove();
    await agent.start();
    const uid = `uid:${process.getuid!()}`;

    const pfile = join(work, 'p.json');
    writeFileSync(pfile, JSON.stringify(policyDoc('audited')));
    const wfile = join(work, 'w.json');
    writeFileSync(wfile, JSON.stringify({ apiVersion: 'imagectl.dev/v1alpha1', kind: 'Workload', metadata: { name: 'audited' }, spec: { image: 'sec/run:1', imagePullPolicy: 'Never', command: ['/bin/busybox', 'sleep', '60'] } }));
    expect((await agent.cli(['apply', '-f', pfile, '-f', wfile])).code).toBe(0);
    expect((await agent.cli(['refresh', 'workload', 'audited'])).code).toBe(0);
    expect((await agent.cli(['pull', ref])).code).toBe(0);
    expect((await agent.cli(['pull', '--archive', tarFile])).code).toBe(0);
    expect((await agent.cli(['rmi', ref])).code).toBe(0);
    expect((await agent.cli(['rmi', 'sec/run:1'])).code).toBe(1); // refused: discovered, in use
    expect((await agent.cli(['delete', 'imagepolicy', 'audited'])).code).toBe(0);
    const bad = await agent.cli(['apply', '-f', join(work, 'missing.yaml')]);
    expect(bad.code).not.toBe(0);

    const lines = (await agent.cli(['audit', '-o', 'json'])).stdout.trim().split('\n').map((l) => JSON.parse(l));
    const calls = lines.filter((r) => r.event.startsWith('api.'));
    expect(calls.map((r) => `${r.event} ${r.to}`)).toEqual([
      'api.apply succeeded', 'api.refresh succeeded', 'api.pull succeeded', 'api.load succeeded', 'api.rmi succeeded', 'api.rmi failed', 'api.delete succeeded',
    ]);
    for (const r of calls) {
      expect(Object.keys(r)).toEqual(['time', 'image', 'tags', 'from', 'to', 'event', 'reason', 'actor']);
      expect(r.actor).toBe(uid);
      expect(r.from).toBeNull();
    }
    expect(calls[0].reason).toBe('apply imagepolicy/audited created, workload/audited created');
    expect(calls[0].image).toBeNull();
    expect(calls[1].reason).toBe('refresh workload/audited: refreshImage raised to 1');
    const pulled = calls[2].image as string;
    expect(pulled).toMatch(/^sha256:/);
    expect(calls[4].image).toBe(pulled);
    expect(calls[5].reason).toMatch(/^rmi sec\/run:1: image sec\/run:1 is not managed by imagectl/);
    expect(calls[6].reason).toBe('delete imagepolicy/audited deleted');
    // the image's own history, through the index, holds the calls on it and its transitions
    const history = (await agent.cli(['audit', '--image', pulled, '-o', 'json'])).stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(history.map((r) => r.event)).toEqual(expect.arrayContaining(['api.pull', 'api.rmi', 'downloaded']));
    // the removal, then the rmi call's own record (written when the call is done)
    expect(history.at(-2)).toMatchObject({ to: 'removed', actor: uid });
    expect(history.at(-1)).toMatchObject({ event: 'api.rmi', to: 'succeeded', actor: uid });
    expect(history.every((r) => r.image === pulled)).toBe(true);
    // text output shows API calls with their actor
    expect((await agent.cli(['audit'])).stdout).toContain(`api.apply -> succeeded (${uid})`);
  });
});

describe('the product code', () => {
  const productFiles = (dir: string): string[] => readdirSync(join(ROOT, dir), { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))
    .map((f) => join(ROOT, dir, f));
  // the product's folders (the layout test fixes which exist)
  const files = ['cli', 'controller', 'crd', 'statemachines'].flatMap(productFiles);

  it('never runs a shell or a program (so no command is ever built from manifest text)', () => {
    expect(files.length).toBeGreaterThan(30);
    for (const f of files) {
      const text = readFileSync(f, 'utf8');
      expect(text, f).not.toMatch(/from ['"](node:)?child_process['"]|require\(['"](node:)?child_process['"]\)|\bexecSync\b|\bspawnSync\b/);
    }
  });

  it('never forces an image removal', () => {
    for (const f of files) {
      const text = readFileSync(f, 'utf8');
      for (const m of text.matchAll(/getImage\([^)]*\)\s*\.remove\(\{([^}]*)\}/g)) expect(m[1], f).toMatch(/force:\s*false/);
      expect(text, f).not.toMatch(/getImage\([^)]*\)\s*\.remove\(\{[^}]*force:\s*true/);
    }
  });
});
