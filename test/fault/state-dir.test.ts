/**
 * State-dir trouble on a real engine: a tiny tmpfs that fills up under a running agent, a full or
 * read-only file system at start, and damaged LevelDB files. The agent either refuses to start
 * with a clear message or runs in safe mode; it never removes an image on the strength of state it
 * could not read or write. `imagectl agent --repair` salvages the store and says what it lost.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type Dockerode from 'dockerode';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AgentProcess, runCli, waitFor } from '../helpers/agent.js';
import { stackInfo } from '../stack/context.js';
import { buildFixture, dockerFor, emptyEngine, runContainer } from '../stack/fixtures.js';
import { auditLog, call, health, images } from './helpers/api.js';
import { Tmpfs } from './helpers/tmpfs.js';

const stack = stackInfo();
const root = process.getuid?.() === 0;
let docker: Dockerode;
let agent: AgentProcess;
let fs: Tmpfs | undefined;

const present = (id: string) => docker.getImage(id).inspect().then(() => true, () => false);
const policy = (name: string, glob: string, after: string) => JSON.stringify({ objects: [{ apiVersion: 'imagectl.dev/v1alpha1', kind: 'ImagePolicy', metadata: { name }, spec: { removal: [{ imageName: glob, deleteAfter: after }] } }] });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

beforeAll(() => {
  docker = dockerFor(stack);
});
beforeEach(async () => {
  await emptyEngine(docker);
});
afterEach(async () => {
  await agent?.dispose();
  fs?.dispose();
  fs = undefined;
});

describe('state dir on a tiny tmpfs', () => {
  // mounting a tmpfs needs root, as the whole test stack does (CI runs as root): fail, never skip
  it('runs as root', () => expect(root, 'the fault suite must run as root').toBe(true));

  it('fills up under a running agent: safe mode, nothing removed, the API keeps serving; once space returns the countdowns go on, and none started on unwritten state', async () => {
    fs = new Tmpfs(2048);
    const a = await buildFixture(docker, 'full/a:1');
    const b = await buildFixture(docker, 'full/b:1');
    const ctr = await runContainer(docker, 'full/b:1');
    agent = new AgentProcess(stack, join(fs.dir, 'state'));
    await agent.start();
    const sock = { socketPath: agent.socket };
    expect((await call(sock, 'POST', '/v1/apply', policy('full', 'full/*:*', '8s'))).status).toBe(200);
    const aItem = (await images(agent.socket)).find((i) => i.metadata.name === a)!;
    const aDue = Date.parse(aItem.status.removeAt!);

    fs.fill();
    // tmpfs still takes writes into the slack of pages already allocated to the store's log:
    // write until the store refuses (each apply is a write), so that the next write surely fails
    let refused = null;
    for (let i = 0; i < 200 && !refused; i++) {
      const r = await call(sock, 'POST', '/v1/apply', policy(`filler-${i}`, 'nothing/*:*', '1h'));
      if (r.status !== 200) refused = r;
    }
    expect(refused?.status).toBe(503);
    expect(refused?.json.message).toMatch(/^the agent's store does not take writes \(.*No space left on device.*\); nothing was applied$/);
    await ctr.remove({ force: true }); // B is unused now, but the agent cannot write that down
    const h = await waitFor('safe mode', async () => {
      const x = await health(agent.socket);
      return x.safeMode ? x : undefined;
    }, 5_000);
    expect(aDue, 'the machine was too slow to fill the disk before the due time').toBeGreaterThan(Date.now() + 500);
    expect(h.safeMode.reason).toMatch(/does not take writes: .*No space left/i);
    await sleep(Math.max(0, aDue + 2500 - Date.now()));
    expect(await present(a), 'A was removed although its removal could not be written first').toBe(true);
    expect(await present(b)).toBe(true);
    // the API keeps serving, and says why nothing happens
    expect((await call(sock, 'GET', '/v1/images')).status).toBe(200);
    const v = await agent.cli(['version']);
    expect(v.stdout).toMatch(/Safe Mode: since .*nothing is removed/);
    expect(agent.child!.exitCode).toBeNull();

    fs.free();
    const freedAt = Date.now();
    await waitFor('the agent to leave safe mode', async () => (await health(agent.socket)).safeMode === null, 15_000);
    await waitFor('A to be removed after space returned', async () => !(await present(a)), 10_000);
    const aLog = await auditLog(agent.socket, a);
    const removable = aLog.find((r) => r.to === 'removable')!;
    expect(Date.parse(removable.time)).toBeGreaterThanOrEqual(freedAt - 50);
    expect(aLog.at(-1)!.to).toBe('removed');
    // B's countdown starts when its idleness could be written, not when the container went
    const bItem = await waitFor('B idle', async () => (await images(agent.socket)).find((i) => i.metadata.name === b && i.status.state === 'idle'), 10_000);
    expect(Date.parse(bItem.status.lastUsedAt!)).toBeGreaterThanOrEqual(freedAt - 50);
    expect(await present(b)).toBe(true);
  });

  it('a full or read-only file system at start: the agent exits with a clear message and removes nothing', async () => {
    fs = new Tmpfs(1024);
    const a = await buildFixture(docker, 'ro/a:1');
    const state = join(fs.dir, 'state');
    agent = new AgentProcess(stack, state);
    await agent.start();
    expect((await call({ socketPath: agent.socket }, 'POST', '/v1/apply', policy('ro', 'ro/*:*', '5s'))).status).toBe(200);
    const due = Date.parse((await images(agent.socket)).find((i) => i.metadata.name === a)!.status.removeAt!);
    await agent.stop();
    expect(await present(a)).toBe(true);
    expect(due, 'the machine was too slow to stop the agent before the due time').toBeGreaterThan(Date.now());
    const env = { DOCKER_HOST: stack.dockerHost, IMAGECTL_STATE_DIR: state };

    fs.remount('ro');
    const ro = await runCli(['agent', '--interval', '1s'], { env });
    expect(ro.code).not.toBe(0);
    expect(ro.stderr).toMatch(/cannot open the store in .*state: .*Read-only file system; nothing was removed/);
    fs.remount('rw');

    fs.fill();
    const full = await runCli(['agent', '--interval', '1s'], { env });
    expect(full.code).not.toBe(0);
    expect(full.stderr).toMatch(/No space left on device.*nothing was removed|nothing was removed/);
    expect(full.stderr).not.toContain('    at '); // a message, not a stack trace
    await sleep(Math.max(0, due + 1000 - Date.now()));
    expect(await present(a)).toBe(true);
  });
});

describe('damaged LevelDB files', () => {
  it('the agent refuses a damaged store and removes nothing; --repair keeps what it can, names what it lost, rebuilds from Docker; no countdown is shortened', async () => {
    const a = await buildFixture(docker, 'cor/a:1');
    const w = await buildFixture(docker, 'cor/w:1');
    agent = new AgentProcess(stack, AgentProcess.tempStateDir());
    await agent.start();
    const sock = { socketPath: agent.socket };
    expect((await call(sock, 'POST', '/v1/apply', policy('cor-keep', 'cor/*:*', '1h'))).status).toBe(200);
    const workload = { apiVersion: 'imagectl.dev/v1alpha1', kind: 'Workload', metadata: { name: 'cor-w' }, spec: { image: 'cor/w:1', imagePullPolicy: 'Never', command: ['/bin/busybox', 'sleep', '3600'] } };
    expect((await call(sock, 'POST', '/v1/apply', JSON.stringify({ objects: [workload] }))).status).toBe(200);
    const running = await waitFor('the workload container', async () => {
      const x = (await call(sock, 'GET', '/v1/workloads/cor-w')).json;
      return x.status.phase === 'Running' ? x : undefined;
    });
    // the policy that would remove A at once is applied last; its record is then damaged
    expect((await call(sock, 'POST', '/v1/apply', policy('cor-fast', 'cor/a:*', '30s'))).status).toBe(200);
    const aBefore = (await images(agent.socket)).find((i) => i.metadata.name === a)!;
    await agent.kill('SIGKILL');

    // damage the write-ahead log inside the record that holds the Workload object
    const log = readdirSync(agent.stateDir).find((f) => f.endsWith('.log'))!;
    const bytes = readFileSync(join(agent.stateDir, log));
    const at = bytes.indexOf('"name":"cor-w"');
    expect(at).toBeGreaterThan(0);
    bytes.fill(0x5a, at, at + 40);
    writeFileSync(join(agent.stateDir, log), bytes);

    const refused = await runCli(['agent', '--interval', '1s'], { env: agent.env });
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/the store in .* is damaged and was not used \(LevelDB dropped records.*\); nothing was removed\. Run `imagectl agent --repair/);
    expect(await present(a)).toBe(true);

    const repair = await runCli(['agent', '--repair'], { env: agent.env });
    expect(repair.code, repair.stderr).toBe(0);
    expect(repair.stdout).toContain('repaired the store in');
    expect(repair.stdout).toMatch(/the damaged files were copied to .*repair-backup-/);
    expect(repair.stdout).toMatch(/lost \d+ objects: .*Workload\/cor-w/);
    expect(repair.stdout).toContain('nothing was removed from the engine');
    expect(repair.stdout).toMatch(/left alone: managed containers without a Workload: imagectl-cor-w/);

    await agent.start();
    await sleep(2500);
    // the container of the lost Workload is left alone, its image stays
    const cs = await docker.listContainers({ all: true, filters: { label: ['imagectl.dev/workload=cor-w'] } });
    expect(cs.map((c) => c.Id)).toEqual([running.status.containerId]);
    expect(await present(w)).toBe(true);
    // A's countdown: the original one if its snapshot survived, a fresh one if not; never shorter
    const aAfter = (await images(agent.socket)).find((i) => i.metadata.name === a)!;
    expect(Date.parse(aAfter.status.lastUsedAt!)).toBeGreaterThanOrEqual(Date.parse(aBefore.status.lastUsedAt!));
    expect(await present(a)).toBe(true);
    const objects = (await call(sock, 'GET', '/v1/objects/workload')).json.items;
    expect(objects).toEqual([]);
  });
});
