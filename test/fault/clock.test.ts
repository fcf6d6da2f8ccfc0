/**
 * Clock jumps: the agent's wall clock is shifted with libfaketime while Docker and the test keep
 * the real time. Countdowns run on the monotonic clock within a run, so a jump forward removes
 * nothing early and a jump back delays nothing; across a restart the agent never starts behind
 * the time its store last recorded.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Dockerode from 'dockerode';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AgentProcess, waitFor } from '../helpers/agent.js';
import { stackInfo } from '../stack/context.js';
import { buildFixture, dockerFor, emptyEngine } from '../stack/fixtures.js';
import { auditLog, call, health, images } from './helpers/api.js';
import { ensureFaketime, FakeClock } from './helpers/faketime.js';
import { watchDeletes } from './helpers/invariants.js';

const stack = stackInfo();
let docker: Dockerode;
let agent: AgentProcess;
let lib: string;
let clock: FakeClock;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const policy = (after: string) => JSON.stringify({ objects: [{ apiVersion: 'imagectl.dev/v1alpha1', kind: 'ImagePolicy', metadata: { name: 'clock' }, spec: { removal: [{ imageName: 'clock/*:*', deleteAfter: after }] } }] });

async function dueOf(id: string): Promise<{ lastUsedAt: number; removeAt: number }> {
  const i = await waitFor(`${id} idle with a due time`, async () => (await images(agent.socket)).find((x) => x.metadata.name === id && x.status.removeAt));
  return { lastUsedAt: Date.parse(i.status.lastUsedAt!), removeAt: Date.parse(i.status.removeAt!) };
}

beforeAll(async () => {
  docker = dockerFor(stack);
  lib = await ensureFaketime();
});
beforeEach(async () => {
  await emptyEngine(docker);
  clock = new FakeClock(join(mkdtempSync(join(tmpdir(), 'ictl-clock-')), 'offset'));
  agent = new AgentProcess(stack, AgentProcess.tempStateDir());
  agent.agentEnv = clock.env(lib);
});
afterEach(async () => {
  await agent.dispose();
});

describe('clock jumps', () => {
  it('a jump forward by a day removes nothing early; a jump back by an hour delays nothing', async () => {
    const w = await watchDeletes(docker);
    try {
      const back = await buildFixture(docker, 'clock/back:1');
      await agent.start();
      expect((await call({ socketPath: agent.socket }, 'POST', '/v1/apply', policy('6s'))).status).toBe(200);
      const d1 = await dueOf(back);
      clock.set('-1h');
      await waitFor('the image to be removed on time despite the clock set back', async () => w.deletes.has(back), 15_000, 50);
      expect(w.deletes.get(back)!).toBeGreaterThanOrEqual(d1.removeAt);
      expect(w.deletes.get(back)! - d1.removeAt).toBeLessThan(2500);
      expect((await health(agent.socket)).clock.wallSkewMs).toBeLessThan(-3_500_000);

      clock.set('+0');
      const fwd = await buildFixture(docker, 'clock/forward:1');
      const d2 = await dueOf(fwd);
      clock.set('+1d');
      await sleep(3000);
      const h = await health(agent.socket);
      expect(h.clock.wallSkewMs).toBeGreaterThan(86_000_000);
      expect(w.deletes.has(fwd), 'removed early after the wall clock jumped a day forward').toBe(false);
      expect(Date.now()).toBeLessThan(d2.removeAt);
      await waitFor('the image to be removed at its real due time', async () => w.deletes.has(fwd), 15_000, 50);
      expect(w.deletes.get(fwd)!).toBeGreaterThanOrEqual(d2.removeAt);
      expect(w.deletes.get(fwd)! - d2.removeAt).toBeLessThan(2500);
      // the audit keeps the agent's time, not the jumped wall clock
      const removed = (await auditLog(agent.socket, fwd)).find((r) => r.to === 'removed')!;
      expect(Math.abs(Date.parse(removed.time) - w.deletes.get(fwd)!)).toBeLessThan(1000);
      await waitFor('the agent to log the clock jump', async () => /the wall clock is \d+ s ahead of the agent clock/.test(agent.log), 5_000);
    } finally {
      w.stop();
    }
  });

  it('restarted with the wall clock set back an hour, the agent starts from the time its store recorded: the countdown is not an hour late', async () => {
    const w = await watchDeletes(docker);
    try {
      const id = await buildFixture(docker, 'clock/restart:1');
      await agent.start();
      expect((await call({ socketPath: agent.socket }, 'POST', '/v1/apply', policy('8s'))).status).toBe(200);
      const d = await dueOf(id);
      await agent.kill('SIGKILL');
      clock.set('-1h');
      await agent.start();
      const after = (await images(agent.socket)).find((x) => x.metadata.name === id)!;
      expect(Date.parse(after.status.lastUsedAt!)).toBe(d.lastUsedAt);
      await waitFor('the removal at the original due time', async () => w.deletes.has(id), 20_000, 50);
      expect(w.deletes.get(id)!).toBeGreaterThanOrEqual(d.removeAt);
      expect(w.deletes.get(id)! - d.removeAt).toBeLessThan(3000);
      // audit times never go back: the records written at their own time, in the order written (an
      // API call's record carries the time its request started and is written when it is done)
      const times = (await auditLog(agent.socket)).filter((r) => !r.event.startsWith('api.')).map((r) => Date.parse(r.time));
      expect([...times].sort((a, b) => a - b)).toEqual(times);
    } finally {
      w.stop();
    }
  });
});
