/**
 * Crash anywhere: the agent is SIGKILLed at 20 seeded random moments while passes remove images,
 * a pull streams and a workload's container is recreated. After each restart, within one resync
 * interval: the store opens, every machine agrees with the engine, no image a container references
 * is gone, and every image the engine deleted was recorded removable first, at least deleteAfter
 * after it went idle (checked against the audit log). An image deleted just before the crash but
 * not yet recorded shows up as removed with "found gone", not as an error.
 */
import type Dockerode from 'dockerode';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AgentProcess, waitFor } from '../helpers/agent.js';
import { stackInfo } from '../stack/context.js';
import { buildFixture, dockerFor, emptyEngine, pushFixture, removeAllContainers } from '../stack/fixtures.js';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { auditLog, call, health, images } from './helpers/api.js';
import { EngineProxy } from './helpers/engine-proxy.js';
import { deletionsWereDue, stateAgrees, watchDeletes } from './helpers/invariants.js';
import { faultSeed, seededRandom } from '../helpers/rng.js';

const stack = stackInfo();
const R = stack.registry;
const INTERVAL_MS = 2000;
const DELETE_AFTER_MS = 1000;
let docker: Dockerode;
let agent: AgentProcess;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const policy = { apiVersion: 'imagectl.dev/v1alpha1', kind: 'ImagePolicy', metadata: { name: 'crash' }, spec: { removal: [{ imageName: 'crash/*:*', deleteAfter: '1s' }] } };
const workload = (purge: number) => ({ apiVersion: 'imagectl.dev/v1alpha1', kind: 'Workload', metadata: { name: 'crash-w' }, spec: { image: `${R}/crash/w:1`, imagePullPolicy: 'IfNotPresent', command: ['/bin/busybox', 'sleep', '3600'], purge } });

beforeAll(async () => {
  docker = dockerFor(stack);
  await emptyEngine(docker);
  for (const ref of [`${R}/crash/w:1`, `${R}/crash/p:1`]) {
    await buildFixture(docker, ref);
    await pushFixture(docker, ref);
  }
  await docker.getImage(`${R}/crash/p:1`).remove();
});
afterEach(async () => {
  await agent?.dispose();
});

describe('crash anywhere', () => {
  it('20 SIGKILLs at seeded random moments during removals, pulls and container recreation lose nothing and break no invariant', async () => {
    const seed = faultSeed();
    console.log(`[crash] seed ${seed} (FAULT_SEED=${seed} replays it)`);
    const rnd = seededRandom(seed);
    agent = new AgentProcess(stack, AgentProcess.tempStateDir(), ['--interval', `${INTERVAL_MS / 1000}s`]);
    const w = await watchDeletes(docker);
    const converge: number[] = [];
    const byTest = new Set<string>();
    try {
      await agent.start();
      const sock = { socketPath: agent.socket };
      expect((await call(sock, 'POST', '/v1/apply', JSON.stringify({ objects: [policy, workload(0)] }))).status).toBe(200);
      for (let i = 1; i <= 20; i++) {
        // activity: three images that fall due in a second, a pull, a container recreation
        // the test removes the pulled image itself, so that every iteration pulls (not the agent's deletion)
        const pulled = await docker.getImage(`${R}/crash/p:1`).inspect().catch(() => null);
        if (pulled) {
          byTest.add(pulled.Id);
          await docker.getImage(pulled.Id).remove().catch(() => undefined);
        }
        await Promise.all([1, 2, 3].map((k) => buildFixture(docker, `crash/r${i}-${k}:1`)));
        void call(sock, 'POST', '/v1/pull', JSON.stringify({ ref: `${R}/crash/p:1` })).catch(() => undefined);
        void call(sock, 'POST', '/v1/apply', JSON.stringify({ objects: [policy, workload(i)] })).catch(() => undefined);
        const delay = Math.floor(rnd() * 1800);
        await sleep(delay);
        await agent.kill('SIGKILL');

        await agent.start(); // the store opened and verified, the engine observed once
        const up = Date.now();
        const problems = await waitFor(`state to agree with the engine after crash ${i} (delay ${delay} ms)`, async () => {
          const p = await stateAgrees(docker, agent.socket);
          const h = await health(agent.socket);
          return p.length === 0 && h.passes >= 1 ? p : undefined;
        }, 15_000, 100).catch(async (err) => [String(err), ...(await stateAgrees(docker, agent.socket))]);
        expect(problems, `crash ${i} (delay ${delay} ms, seed ${seed})`).toEqual([]);
        converge.push(Date.now() - up);
        const wl = await waitFor(`workload running after crash ${i}`, async () => {
          const x = (await call(sock, 'GET', '/v1/workloads/crash-w')).json;
          return x.status.phase === 'Running' ? x : undefined;
        }, 15_000);
        const cs = await docker.listContainers({ all: true, filters: { label: ['imagectl.dev/workload=crash-w'] } });
        expect(cs.map((c) => c.Id), `crash ${i}: exactly one container for the workload`).toEqual([wl.status.containerId]);
      }
      // let the last countdowns finish, then check every deletion the engine made
      await sleep(DELETE_AFTER_MS + INTERVAL_MS);
      expect(await stateAgrees(docker, agent.socket)).toEqual([]);
      const d = await deletionsWereDue(agent.socket, new Map([...w.deletes].filter(([id]) => !byTest.has(id))), DELETE_AFTER_MS);
      console.log(`[crash] ${w.deletes.size} images deleted: ${d.recorded} recorded by the removing agent, ${d.foundGone} found gone after a crash; convergence after restart: max ${Math.max(...converge)} ms`);
      expect(d.problems).toEqual([]);
      expect(w.deletes.size).toBeGreaterThanOrEqual(40);
      const left = (await docker.listImages()).flatMap((x) => x.RepoTags ?? []).filter((t) => t.startsWith('crash/'));
      expect(left).toEqual([]);
      expect(Math.max(...converge)).toBeLessThanOrEqual(INTERVAL_MS);
    } finally {
      w.stop();
    }
  });

  it('an image the engine deleted just before the crash, before the agent recorded it, shows up as removed: found gone', async () => {
    await removeAllContainers(docker);
    const id = await buildFixture(docker, 'crash/gone:1');
    // the agent's delete reaches the engine only after the agent was SIGKILLed
    const proxy = new EngineProxy(stack.socketPath, join(mkdtempSync(join(tmpdir(), 'ictl-px-')), 'docker.sock'));
    await proxy.start();
    agent = new AgentProcess({ ...stack, dockerHost: proxy.dockerHost }, AgentProcess.tempStateDir());
    let killed: Promise<void> | null = null;
    proxy.hold = async (req) => {
      if (req.method === 'DELETE' && req.url?.replace(/^\/v[\d.]+\//, '/').startsWith('/images/') && !killed) {
        killed = agent.kill('SIGKILL');
        await killed;
      }
    };
    try {
      await agent.start();
      // the pass this apply causes may be the one that removes, and dies: its answer may never come
      void call({ socketPath: agent.socket }, 'POST', '/v1/apply', JSON.stringify({ objects: [policy] })).catch(() => undefined);
      await waitFor('the kill during the delete', async () => killed !== null && agent.child === null, 15_000, 50);
      await waitFor('the engine to delete the image', async () => docker.getImage(id).inspect().then(() => false, () => true), 5_000, 50);
      proxy.hold = null;
      const before = (await auditLog(agent.socket).catch(() => []));
      expect(before).toEqual([]); // the agent is down
      await agent.start();
      const item = (await images(agent.socket)).find((i) => i.metadata.name === id)!;
      expect(item.status.state).toBe('removed');
      expect(item.status.reason).toBe('found gone: the image disappeared from the engine');
      const history = (await auditLog(agent.socket, id)).filter((r) => !r.event.startsWith('api.'));
      expect(history.map((r) => `${r.from}->${r.to}`)).toEqual(['null->downloaded', 'downloaded->idle', 'idle->removable', 'removable->removed']);
    } finally {
      await proxy.stop();
    }
  });
});
