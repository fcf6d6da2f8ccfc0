/**
 * A hostile local user, on a real engine (security issue, findings 2, 3 and 10). The test makes a
 * throwaway user (useradd), acts as her with runuser, and removes her at the end. Before: under
 * umask 000 the LevelDB files of a pre-existing state directory were 0666 (she appended a crafted
 * write batch), under 022 they were 0644 (she read a Workload's env secret); a socket directory she
 * had made was accepted, so she could swap the socket for a listener of her own; a token file of
 * hers was taken.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type Dockerode from 'dockerode';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AgentProcess, BIN, NODE_FLAGS, runCli, waitFor } from '../helpers/agent.js';
import { stackInfo } from '../stack/context.js';
import { buildFixture, dockerFor, emptyEngine } from '../stack/fixtures.js';
import { call } from './helpers/api.js';

const stack = stackInfo();
let docker: Dockerode;
let agent: AgentProcess;
const user = `ictl-sec-${randomBytes(3).toString('hex')}`;
let uid = -1;
let gid = -1;
const work = mkdtempSync(join(tmpdir(), 'ictl-hostile-user-'));

/** Run a command as the throwaway user; returns its exit code and output. */
function asUser(cmd: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync('runuser', ['-u', user, '--', ...cmd], { encoding: 'utf8' });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** Every regular file below `dir`. */
function filesBelow(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).map((f) => join(dir, f)).filter((f) => statSync(f).isFile());
}

/** Start the agent through `sh -c 'umask M; exec node …'`, as an init system with that umask would. */
async function startWithUmask(a: AgentProcess, umask: string): Promise<void> {
  const child = spawn('sh', ['-c', `umask ${umask} && exec "$0" "$@"`, process.execPath, ...NODE_FLAGS, BIN, 'agent', '--interval', '1s'], { env: { ...process.env, ...a.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  a.child = child;
  child.stdout!.on('data', (c) => (a.log += c));
  child.stderr!.on('data', (c) => (a.log += c));
  await waitFor(`the agent to answer\n${a.log}`, async () => {
    if (child.exitCode !== null) throw new Error(`agent exited with ${child.exitCode}: ${a.log}`);
    return (await a.cli(['version'])).stdout.includes('Docker Engine: reachable');
  });
}

beforeAll(() => {
  docker = dockerFor(stack);
  execFileSync('useradd', ['--no-create-home', '--shell', '/usr/sbin/nologin', user]);
  uid = Number(execFileSync('id', ['-u', user], { encoding: 'utf8' }).trim());
  gid = Number(execFileSync('id', ['-g', user], { encoding: 'utf8' }).trim());
  chmodSync(work, 0o755);
});
afterAll(() => {
  spawnSync('userdel', ['--force', user]);
  rmSync(work, { recursive: true, force: true });
});
beforeEach(async () => {
  await emptyEngine(docker);
});
afterEach(async () => {
  await agent?.dispose();
});

describe('the store is the agent user\'s alone (finding 2)', () => {
  it.each(['000', '022'])('under umask %s, in a state directory that already exists, no other user can read or append to a store file', async (umask) => {
    await buildFixture(docker, 'hu/app:1');
    const state = join(work, `state-${umask}`);
    mkdirSync(state, { mode: 0o755 });
    chmodSync(state, 0o755); // readable by all, as a directory made by hand often is
    agent = new AgentProcess(stack, state);
    await startWithUmask(agent, umask);
    const secret = `hunter2-${randomBytes(8).toString('hex')}`;
    const wl = { apiVersion: 'imagectl.dev/v1alpha1', kind: 'Workload', metadata: { name: 'hu' }, spec: { image: 'hu/app:1', imagePullPolicy: 'Never', command: ['/bin/busybox', 'sleep', '60'], env: { SECRET: secret } } };
    expect((await call({ socketPath: agent.socket }, 'POST', '/v1/apply', JSON.stringify({ objects: [wl] }))).status).toBe(200);
    await agent.stop(); // LevelDB's files are complete on disk once it closed
    const files = filesBelow(state);
    expect(files.length).toBeGreaterThan(3);
    for (const f of files) expect((statSync(f).mode & 0o077).toString(8), f).toBe('0');
    // she can list the directory (0755) but read nothing in it, and append to nothing
    expect(asUser(['ls', state]).code).toBe(0);
    const grep = asUser(['grep', '-rl', secret, state]);
    expect(grep.stdout).toBe('');
    expect(grep.stderr).toContain('Permission denied');
    for (const f of files) {
      expect(asUser(['cat', f]).code, f).not.toBe(0);
      expect(asUser(['sh', '-c', `printf x >> '${f}'`]).code, f).not.toBe(0);
    }
  });

  it('files an older run left readable by others (0666) are made private at the next start', async () => {
    agent = new AgentProcess(stack, AgentProcess.tempStateDir());
    await agent.start();
    await agent.stop();
    for (const f of filesBelow(agent.stateDir)) chmodSync(f, 0o666);
    await agent.start();
    for (const f of filesBelow(agent.stateDir)) expect((statSync(f).mode & 0o077).toString(8), f).toBe('0');
    await agent.stop();
    // a file in the state directory that another user owns means someone else wrote there: refused
    const planted = join(agent.stateDir, '000099.log');
    writeFileSync(planted, 'crafted');
    chownSync(planted, uid, gid);
    const r = await runCli(['agent'], { env: agent.env });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(`${planted} in the state directory is owned by uid ${uid}, not by the agent's user`);
  });
});

describe('the state and socket directories are the agent\'s own (finding 3)', () => {
  it('refuses a socket directory another user made, one she could replace, and a state directory of hers, saying what to fix', async () => {
    agent = new AgentProcess(stack, AgentProcess.tempStateDir());
    // she made the directory the socket goes into: she could swap the socket for her own listener
    const hers = join(work, 'hers');
    mkdirSync(hers, { mode: 0o755 });
    chownSync(hers, uid, gid);
    const r1 = await runCli(['agent', '--socket', join(hers, 'imagectl.sock')], { env: agent.env });
    expect(r1.code).not.toBe(0);
    expect(r1.stderr).toContain(`the socket directory ${hers} is owned by uid ${uid}, not by the agent's user (uid 0): chown 0 ${hers}; or choose another --socket`);
    expect(readdirSync(hers)).toEqual([]);
    // root's directory inside hers: she can rename it away and put her own in its place
    const inside = join(hers, 'run');
    mkdirSync(inside, { mode: 0o700 });
    const r2 = await runCli(['agent', '--socket', join(inside, 'imagectl.sock')], { env: agent.env });
    expect(r2.code).not.toBe(0);
    expect(r2.stderr).toContain(`the socket directory ${inside} can be replaced by uid ${uid}, who owns ${hers}`);
    // her state directory
    const herState = join(work, 'her-state');
    mkdirSync(herState, { mode: 0o700 });
    chownSync(herState, uid, gid);
    const r3 = await runCli(['agent'], { env: { ...agent.env, IMAGECTL_STATE_DIR: herState } });
    expect(r3.code).not.toBe(0);
    expect(r3.stderr).toContain(`the state directory ${herState} is owned by uid ${uid}`);
    // a group-writable one
    const shared = join(work, 'shared');
    mkdirSync(shared);
    chmodSync(shared, 0o770);
    const r4 = await runCli(['agent'], { env: { ...agent.env, IMAGECTL_STATE_DIR: shared } });
    expect(r4.stderr).toContain(`the state directory ${shared} is writable by its group (mode 0770): chmod go-w ${shared}`);
  });
});

describe('the TCP token file (finding 10)', () => {
  it('must be 0600 or 0400 and the agent user\'s own', async () => {
    agent = new AgentProcess(stack, AgentProcess.tempStateDir());
    const token = join(work, 'token');
    writeFileSync(token, 'a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6\n');
    for (const mode of [0o640, 0o660]) {
      chmodSync(token, mode);
      const r = await runCli(['agent', '--listen', '127.0.0.1:59999', '--token-file', token], { env: agent.env });
      expect(r.code).not.toBe(0);
      expect(r.stderr).toContain(`is accessible to other users (mode 0${mode.toString(8)})`);
    }
    chmodSync(token, 0o600);
    chownSync(token, uid, gid);
    const r = await runCli(['agent', '--listen', '127.0.0.1:59999', '--token-file', token], { env: agent.env });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(`is owned by uid ${uid}, not by the agent's user (uid 0)`);
  });
});
