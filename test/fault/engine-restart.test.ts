/**
 * Engine restart: dockerd is stopped (SIGTERM) during a countdown and started again. The agent
 * says it lost the engine, keeps serving the API (and says the engine is unreachable), reconnects
 * its event stream with backoff and resyncs. A removal that fell due during the outage happens
 * after the engine is back, and only after the engine confirmed the image is unused.
 * This file starts its own stack, because it stops the engine.
 */
import type Dockerode from 'dockerode';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AgentProcess, waitFor } from '../helpers/agent.js';
import { buildFixture, dockerFor, runContainer } from '../stack/fixtures.js';
import { ensurePackages, startStack, type Stack } from '../stack/stack.js';
import { auditLog, call, health, images } from './helpers/api.js';
import { watchDeletes } from './helpers/invariants.js';

let stack: Stack;
let docker: Dockerode;
let agent: AgentProcess;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

beforeAll(async () => {
  await ensurePackages();
  stack = await startStack();
  docker = dockerFor(stack);
}, 180_000);
afterAll(async () => {
  await stack?.stop();
});
afterEach(async () => {
  await agent?.dispose();
});

describe('engine restart', () => {
  it('the agent survives dockerd going away during a countdown, serves the API meanwhile, reconnects and removes what fell due only after the engine is back', async () => {
    const used = await buildFixture(docker, 'eng/used:1');
    await runContainer(docker, 'eng/used:1');
    const due = await buildFixture(docker, 'eng/due:1');
    const late = await buildFixture(docker, 'other/late:1');
    // no periodic resync: only engine events, the due timer and retries drive passes
    agent = new AgentProcess(stack, AgentProcess.tempStateDir(), ['--interval', '1h']);
    await agent.start();
    const sock = { socketPath: agent.socket };
    const policy = { apiVersion: 'imagectl.dev/v1alpha1', kind: 'ImagePolicy', metadata: { name: 'eng' }, spec: { removal: [{ imageName: 'eng/*:*', deleteAfter: '6s' }] } };
    expect((await call(sock, 'POST', '/v1/apply', JSON.stringify({ objects: [policy] }))).status).toBe(200);
    const removeAt = Date.parse((await images(agent.socket)).find((i) => i.metadata.name === due)!.status.removeAt!);

    await stack.stopEngine();
    const downAt = Date.now();
    expect(removeAt, 'the engine took too long to stop: the countdown ended before').toBeGreaterThan(downAt);
    await waitFor('the agent to notice', async () => (await health(agent.socket)).engine.reachable === false, 15_000);
    // the log arrives on the agent's stderr pipe, which may be read after the health answer
    await waitFor('the agent to log the loss', async () => agent.log.includes('lost the Docker engine'), 5_000);
    // the API keeps serving from what the agent knows, and says the engine is unreachable
    const list = await agent.json<{ items: { metadata: { name: string } }[]; engine?: { reachable: boolean } }>(['get', 'images', '-o', 'json']);
    expect(list.items.map((i) => i.metadata.name)).toEqual(expect.arrayContaining([used, due]));
    expect((await call(sock, 'GET', '/v1/images')).json.engine.reachable).toBe(false);
    expect((await agent.cli(['version'])).stdout).toMatch(/Docker Engine: unreachable \(.+\)/);
    // the due time passes while the engine is down
    await sleep(Math.max(0, removeAt + 1500 - Date.now()));
    expect(agent.child!.exitCode).toBeNull();

    const w0 = Date.now();
    await stack.startEngine();
    const upAt = Date.now();
    const w = await watchDeletes(docker);
    try {
      await waitFor('the removal after the engine came back', async () => docker.getImage(due).inspect().then(() => false, () => true), 20_000, 100);
      const removable = (await auditLog(agent.socket, due)).find((r) => r.to === 'removable')!;
      expect(Date.parse(removable.time)).toBeGreaterThanOrEqual(w0);
      expect(w.deletes.get(due) ?? Date.now()).toBeGreaterThanOrEqual(upAt - 1000);
      await waitFor('the agent to log the reconnect', async () => /connected to the Docker engine[\s\S]*lost the Docker engine[\s\S]*connected to the Docker engine/.test(agent.log), 5_000);
      // the container survived the engine restart (stopped): its image stays, in use
      expect((await docker.getImage(used).inspect()).Id).toBe(used);
      expect((await images(agent.socket)).find((i) => i.metadata.name === used)!.status.state).toBe('in-use');
      // the event stream is back: a new container is seen without any resync
      await runContainer(docker, 'other/late:1', { start: false });
      await waitFor('an engine event to drive a pass', async () => (await images(agent.socket)).find((i) => i.metadata.name === late)?.status.state === 'in-use', 5_000, 100);
    } finally {
      w.stop();
    }
  });
});
