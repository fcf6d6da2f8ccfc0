/**
 * Every use counts, and an interrupted removal leaves no nameless image, across engine restarts:
 * - uses during an engine restart are replayed from the new engine when the agent reconnects;
 * - an engine restarted while the agent was stopped lost its events: every image counts as used
 *   when the agent is back, and the audit says why;
 * - dockerd stopped in the middle of a removal, or failing after it dropped the last tag: every tag
 *   the image had is put back (in the same pass, or from the write-ahead record in the next one).
 * The two removal faults need the engine to fail at one exact point of one request: a pass-through
 * proxy at the socket level (helpers/engine-proxy.ts) holds that request while the test stops
 * dockerd, or answers it with the engine's own error after the test made the engine do its part.
 * This file starts its own stack, because it stops the engine.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Dockerode from 'dockerode';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AgentProcess, waitFor } from '../helpers/agent.js';
import { buildFixture, dockerFor, emptyEngine, FIXTURE_CMD } from '../stack/fixtures.js';
import { ensurePackages, startStack, type Stack } from '../stack/stack.js';
import { auditLog, call, images } from './helpers/api.js';
import { EngineProxy } from './helpers/engine-proxy.js';
import { watchContainers, watchDeletes } from './helpers/invariants.js';

let stack: Stack;
let docker: Dockerode;
let agent: AgentProcess;
let proxy: EngineProxy | null = null;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const policy = (after: string) => JSON.stringify({ objects: [{ apiVersion: 'imagectl.dev/v1alpha1', kind: 'ImagePolicy', metadata: { name: 'every' }, spec: { removal: [{ imageName: 'every/*:*', deleteAfter: after }] } }] });
const status = async (id: string) => (await images(agent.socket)).find((i) => i.metadata.name === id)?.status;
const tagsOf = async (id: string) => ((await docker.getImage(id).inspect()).RepoTags ?? []).sort();
const isDelete = (url: string | undefined) => url?.replace(/^\/v[\d.]+\//, '/').startsWith('/images/');

async function idleWithCountdown(id: string): Promise<number> {
  const st = await waitFor(`${id} idle with a countdown`, async () => {
    const s = await status(id);
    return s?.state === 'idle' && s.removeAt ? s : undefined;
  });
  return Date.parse(st.removeAt!);
}

/** An image with a child (docker commit), so that the engine never deletes it: what happens to its tags is all there is to see. */
async function withChild(ref: string): Promise<string> {
  const id = await buildFixture(docker, ref);
  const c = await docker.createContainer({ Image: id, Cmd: FIXTURE_CMD, HostConfig: { NetworkMode: 'none' } });
  await c.commit({ repo: 'child/of', tag: ref.replace(/[/:]/g, '-') });
  await c.remove();
  return id;
}

async function proxied(args: string[] = []): Promise<EngineProxy> {
  proxy = new EngineProxy(stack.socketPath, join(mkdtempSync(join(tmpdir(), 'ictl-px-')), 'docker.sock'));
  await proxy.start();
  agent = new AgentProcess({ ...stack, dockerHost: proxy.dockerHost }, AgentProcess.tempStateDir(), args);
  return proxy;
}

beforeAll(async () => {
  await ensurePackages();
  stack = await startStack();
  docker = dockerFor(stack);
}, 180_000);
afterAll(async () => {
  await stack?.stop();
});
beforeEach(async () => {
  await stack.startEngine();
  await emptyEngine(docker);
});
afterEach(async () => {
  await agent?.dispose();
  await proxy?.stop();
  proxy = null;
});

describe('every use counts across engine restarts', () => {
  it('an engine restart loses no use: a container run right after dockerd is back keeps its image for the full deleteAfter', async () => {
    const id = await buildFixture(docker, 'every/restart:1');
    agent = new AgentProcess(stack, AgentProcess.tempStateDir(), ['--interval', '1h']);
    await agent.start();
    expect((await call({ socketPath: agent.socket }, 'POST', '/v1/apply', policy('5s'))).status).toBe(200);
    const due = await idleWithCountdown(id);
    await stack.stopEngine();
    await sleep(1_500);
    await stack.startEngine();
    const events = await watchContainers(docker);
    const w = await watchDeletes(docker);
    try {
      // before the agent's stream is back: only the new engine's replay can tell it
      const c = await docker.createContainer({ Image: 'every/restart:1', Cmd: FIXTURE_CMD, HostConfig: { NetworkMode: 'none' } });
      await c.remove();
      const destroyed = await waitFor('the destroy event', async () => events.at('destroy', c.id));
      expect(destroyed, 'the engine restart took too long: the countdown had ended').toBeLessThan(due);
      await waitFor('the removal', async () => w.deletes.get(id), 20_000, 100);
      expect(w.deletes.get(id)!).toBeGreaterThanOrEqual(destroyed + 5_000);
      const used = (await auditLog(agent.socket, id)).find((r) => r.event === 'used');
      expect(used?.reason).toMatch(/^used by container \S+ \(engine event (create|destroy) at /);
    } finally {
      events.stop();
      w.stop();
    }
  });

  it('an engine restarted while the agent was stopped lost its events: every image counts as used when the agent is back, and the audit says why', async () => {
    const id = await buildFixture(docker, 'every/unseen:1');
    agent = new AgentProcess(stack, AgentProcess.tempStateDir());
    await agent.start();
    expect((await call({ socketPath: agent.socket }, 'POST', '/v1/apply', policy('1h'))).status).toBe(200);
    await idleWithCountdown(id);
    const before = Date.parse((await status(id))!.lastUsedAt!);
    await agent.stop();
    await stack.stopEngine();
    await stack.startEngine();
    const back = Date.now();
    await agent.start();
    const after = Date.parse((await status(id))!.lastUsedAt!);
    expect(after).toBeGreaterThanOrEqual(back);
    expect(after).toBeGreaterThan(before);
    const used = (await auditLog(agent.socket, id)).filter((r) => r.event === 'used');
    expect(used.map((r) => r.reason)).toEqual([expect.stringMatching(/^events since \S+Z unavailable: counted as used at \S+Z$/)]);
    expect(`${used[0]!.from}->${used[0]!.to}`).toBe('idle->idle');
  });
});

describe('a reboot', () => {
  it('the agent listening until the engine stops loses nothing: after both are back, every countdown goes on', async () => {
    const id = await buildFixture(docker, 'every/reboot:1');
    agent = new AgentProcess(stack, AgentProcess.tempStateDir());
    await agent.start();
    expect((await call({ socketPath: agent.socket }, 'POST', '/v1/apply', policy('1h'))).status).toBe(200);
    const due = await idleWithCountdown(id);
    // dockerd stops first, the agent sees it go; then the agent stops; both start again
    await stack.stopEngine();
    await waitFor('the agent to lose the engine', async () => agent.log.includes('lost the Docker engine'), 15_000, 100);
    await sleep(1_500);
    await agent.stop();
    await stack.startEngine();
    await agent.start();
    expect(Date.parse((await status(id))!.removeAt!)).toBe(due);
    expect((await auditLog(agent.socket, id)).filter((r) => r.event === 'used')).toEqual([]);
  });
});

describe('an interrupted removal leaves every tag', () => {
  it('dockerd stopped in the middle of a removal: the tags the agent took off are back on the next pass after the engine returns', async () => {
    const id = await withChild('every/two:a');
    await docker.getImage(id).tag({ repo: 'every/two', tag: 'b' });
    const px = await proxied();
    let stopping = false;
    let stopped = false;
    px.hold = async (req) => {
      // the second delete is the last tag: the engine goes away before it gets there
      if (req.method !== 'DELETE' || !isDelete(req.url) || stopping) return;
      if (px.seen.filter((l) => l.startsWith('DELETE ')).length < 2) return;
      stopping = true;
      await stack.stopEngine();
      stopped = true;
    };
    await agent.start();
    expect((await call({ socketPath: agent.socket }, 'POST', '/v1/apply', policy('1s'))).status).toBe(200);
    await waitFor('the engine stopped during the removal', async () => stopped, 15_000, 50);
    await sleep(500);
    await stack.startEngine();
    const st = await waitFor('the removal refused for good, with every tag back', async () => {
      const s = await status(id);
      return s?.state === 'idle' && s.reason.startsWith('removal refused') ? s : undefined;
    }, 30_000, 200);
    expect(await tagsOf(id)).toEqual(['every/two:a', 'every/two:b']);
    expect(st.reason).toMatch(/dependent child images/);
    expect(agent.log).toMatch(/an interrupted removal left the image without these tags: put back/);
  });

  it('the engine drops the last tag and then fails: the agent puts the tag back at once, and no image is left nameless', async () => {
    const id = await withChild('every/one:1');
    const px = await proxied();
    let faulted = false;
    px.hold = async (req) => {
      if (req.method !== 'DELETE' || !isDelete(req.url) || faulted) return;
      faulted = true;
      // what dockerd does when containerd goes away mid-delete: the tag is gone, the image is not
      await docker.getImage('every/one:1').remove();
      return { status: 500, json: { message: 'error deleting lease: grpc: the client connection is closing' } };
    };
    await agent.start();
    expect((await call({ socketPath: agent.socket }, 'POST', '/v1/apply', policy('1s'))).status).toBe(200);
    await waitFor('the fault', async () => faulted, 15_000, 50);
    // it settles refused for good (the child image); nameless, it would drop out of the engine's
    // image list (an untagged parent is hidden there) and read "found gone" while it stays on disk
    const st = await waitFor('the agent to settle', async () => {
      const x = await status(id);
      return x && (x.state === 'removed' || (x.state === 'idle' && /^(removal refused|protected)/.test(x.reason))) ? x : undefined;
    }, 15_000, 100);
    expect(await tagsOf(id)).toEqual(['every/one:1']);
    expect(st.reason).toMatch(/^removal refused: .*dependent child images/);
    const history = (await auditLog(agent.socket, id)).filter((r) => !r.event.startsWith('api.'));
    expect(history.every((r) => r.tags.includes('every/one:1'))).toBe(true);
  });
});
