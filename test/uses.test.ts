/**
 * Every use counts, on the real engine: a container the agent never saw in a list (it lived a few
 * milliseconds, or came and went while the agent was stopped) still restarts its image's countdown,
 * from the engine's own event time.
 */
import type Dockerode from 'dockerode';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AgentProcess, waitFor } from './helpers/agent.js';
import { call } from './fault/helpers/api.js';
import { watchContainers, watchDeletes } from './fault/helpers/invariants.js';
import { stackInfo } from './stack/context.js';
import { buildFixture, dockerFor, emptyEngine, FIXTURE_CMD } from './stack/fixtures.js';

const stack = stackInfo();
let docker: Dockerode;
let agent: AgentProcess;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const policy = (after: string) => JSON.stringify({ objects: [{ apiVersion: 'imagectl.dev/v1alpha1', kind: 'ImagePolicy', metadata: { name: 'uses' }, spec: { removal: [{ imageName: 'use/*:*', deleteAfter: after }] } }] });

interface Item { metadata: { name: string }; status: { state: string; lastUsedAt: string | null; removeAt: string | null } }
const item = async (id: string) => (await agent.json<{ items: Item[] }>(['get', 'images', '-o', 'json'])).items.find((i) => i.metadata.name === id);
const history = async (id: string) => (await agent.cli(['audit', '--image', id, '-o', 'json'])).stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as { time: string; from: string; to: string; event: string; reason: string });

/** The image idle under the policy, with its countdown running. */
async function idleWithCountdown(id: string): Promise<number> {
  const it = await waitFor(`${id} idle with a countdown`, async () => {
    const x = await item(id);
    return x?.status.state === 'idle' && x.status.removeAt ? x : undefined;
  });
  return Date.parse(it.status.removeAt!);
}

beforeAll(() => {
  docker = dockerFor(stack);
});
beforeEach(async () => {
  await emptyEngine(docker);
});
afterEach(async () => {
  await agent?.dispose();
});

describe('every use counts', () => {
  it('a container that lives a few milliseconds keeps its image for the full deleteAfter after it', async () => {
    const id = await buildFixture(docker, 'use/short:1');
    agent = new AgentProcess(stack, AgentProcess.tempStateDir());
    await agent.start();
    expect((await call({ socketPath: agent.socket }, 'POST', '/v1/apply', policy('3s'))).status).toBe(200);
    const due = await idleWithCountdown(id);
    const events = await watchContainers(docker);
    const deletes = await watchDeletes(docker);
    try {
      await sleep(Math.max(0, due - 1_500 - Date.now()));
      // created and removed at once: gone long before the pass its events cause lists containers
      const c = await docker.createContainer({ Image: 'use/short:1', name: 'short-lived', Cmd: FIXTURE_CMD, HostConfig: { NetworkMode: 'none' } });
      await c.remove();
      const destroyed = await waitFor('the destroy event', async () => events.at('destroy', c.id));
      console.log(`[uses] the container lived ${destroyed - events.at('create', c.id)!} ms`);
      await waitFor('the removal', async () => deletes.deletes.get(id), 15_000, 50);
      expect(deletes.deletes.get(id)!).toBeGreaterThanOrEqual(destroyed + 3_000);
      // the audit has the use (and the in-use spell, should a list have caught the container after all)
      const used = (await history(id)).find((r) => r.event === 'used');
      expect(used?.reason).toMatch(/^used by container short-lived \(engine event (create|destroy) at \S+\)$/);
    } finally {
      events.stop();
      deletes.stop();
    }
  });

  it('a container run and removed while the agent is stopped keeps its image for the full deleteAfter, counted from the engine\'s event time', async () => {
    const id = await buildFixture(docker, 'use/down:1');
    agent = new AgentProcess(stack, AgentProcess.tempStateDir());
    await agent.start();
    expect((await call({ socketPath: agent.socket }, 'POST', '/v1/apply', policy('4s'))).status).toBe(200);
    const due = await idleWithCountdown(id);
    await agent.stop();
    const events = await watchContainers(docker);
    const deletes = await watchDeletes(docker);
    try {
      const c = await docker.createContainer({ Image: 'use/down:1', name: 'used-while-down', Cmd: FIXTURE_CMD, HostConfig: { NetworkMode: 'none' } });
      await c.start();
      await c.remove({ force: true });
      const destroyed = await waitFor('the destroy event', async () => events.at('destroy', c.id));
      expect(destroyed, 'the test took too long: the old countdown had ended').toBeLessThan(due);
      await agent.start();
      const after = await item(id);
      expect(after?.status.state).toBe('idle');
      // removeAt is on the agent clock, which runs this far behind the wall clock
      const skew = ((await call({ socketPath: agent.socket }, 'GET', '/v1/health')).json as { clock: { wallSkewMs: number } }).clock.wallSkewMs;
      expect(Date.parse(after!.status.removeAt!) + skew).toBeGreaterThanOrEqual(destroyed + 4_000 - 1);
      const used = (await history(id)).filter((r) => r.event === 'used').at(-1);
      expect(used?.reason).toBe(`used by container used-while-down (engine event destroy at ${new Date(destroyed).toISOString()})`);
      await waitFor('the removal', async () => deletes.deletes.get(id), 15_000, 50);
      expect(deletes.deletes.get(id)!).toBeGreaterThanOrEqual(destroyed + 4_000);
    } finally {
      events.stop();
      deletes.stop();
    }
  });
});
