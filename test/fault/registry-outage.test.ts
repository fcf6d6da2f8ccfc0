/**
 * Registry outage mid-pull: the registry is killed while a layer is streaming (a relay slows the
 * registry down, so the kill lands mid-layer). The workload gets a clear failed condition, no
 * half-pulled image is recorded as present, and the next pass after the registry returns succeeds.
 * This file starts its own stack, because it stops the registry. Its engine makes one download
 * attempt per layer (`max-download-attempts: 1`) so that the cut fails the pull at once instead
 * of after the engine's own retries; the agent's behaviour is the same either way.
 */
import type Dockerode from 'dockerode';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AgentProcess, waitFor } from '../helpers/agent.js';
import { dockerFor, pushFixture } from '../stack/fixtures.js';
import { ensurePackages, startStack, type Stack } from '../stack/stack.js';
import { call, images } from './helpers/api.js';
import { buildBigImage } from './helpers/big-image.js';
import { ThrottledRelay } from './helpers/throttle.js';

let stack: Stack;
let docker: Dockerode;
let agent: AgentProcess;
let relay: ThrottledRelay;

beforeAll(async () => {
  await ensurePackages();
  stack = await startStack({ daemonConfig: { 'max-download-attempts': 1 } });
  docker = dockerFor(stack);
  const [host, port] = stack.registry.split(':');
  relay = new ThrottledRelay({ host: host!, port: Number(port) });
  await relay.start();
}, 180_000);
afterAll(async () => {
  await relay?.stop();
  await stack?.stop();
});
afterEach(async () => {
  await agent?.dispose();
});

describe('registry outage mid-pull', () => {
  it('a registry killed while a layer streams fails the workload clearly, records no half image, and the next pass after it returns succeeds', async () => {
    const pushed = `${stack.registry}/big/layer:1`;
    const id = await buildBigImage(docker, pushed, 48);
    await pushFixture(docker, pushed);
    await docker.getImage(id).remove({ force: false });
    const ref = `127.0.0.1:${relay.port}/big/layer:1`; // the same repository, through the slow relay

    agent = new AgentProcess(stack, AgentProcess.tempStateDir());
    await agent.start();
    const sock = { socketPath: agent.socket };
    const workload = { apiVersion: 'imagectl.dev/v1alpha1', kind: 'Workload', metadata: { name: 'big' }, spec: { image: ref, imagePullPolicy: 'Always', command: ['/bin/busybox', 'sleep', '3600'] } };
    // apply waits for the pass it causes, which pulls: do not wait for it
    const applied = call(sock, 'POST', '/v1/apply', JSON.stringify({ objects: [workload] }));

    await waitFor('the layer to be streaming', async () => relay.relayed > 8 * 1024 * 1024, 30_000, 50);
    const streamed = relay.relayed;
    await stack.stopRegistry();
    relay.cutAll();
    expect(streamed).toBeLessThan(40 * 1024 * 1024); // the kill landed mid-layer

    expect((await applied).status).toBe(200);
    const failed = await waitFor('the workload to fail', async () => {
      const w = (await call(sock, 'GET', '/v1/workloads/big')).json;
      return w.status.phase === 'Failed' ? w : undefined;
    }, 30_000);
    expect(['PullFailed', 'RegistryUnreachable']).toContain(failed.status.reason);
    expect(failed.status.message).toMatch(/failed|cannot resolve/);
    expect(failed.status.conditions.find((c: { type: string }) => c.type === 'ImageReady')).toMatchObject({ status: 'False' });
    expect(failed.status.containerId).toBeNull();
    // no half image: not in the engine, not tracked, not recorded as downloaded
    await expect(docker.getImage(ref).inspect()).rejects.toThrow();
    await expect(docker.getImage(id).inspect()).rejects.toThrow();
    const tracked = await images(agent.socket);
    expect(tracked.filter((i) => i.metadata.name === id || i.status.tags.includes(ref))).toEqual([]);
    expect((await docker.listContainers({ all: true })).length).toBe(0);

    relay.rate = Infinity;
    await stack.startRegistry();
    const running = await waitFor('the workload to run after the registry returned', async () => {
      const w = (await call(sock, 'GET', '/v1/workloads/big')).json;
      return w.status.phase === 'Running' ? w : undefined;
    }, 60_000).catch(async (err) => {
      const w = (await call(sock, 'GET', '/v1/workloads/big')).json;
      throw new Error(`${String(err)}\nstatus: ${JSON.stringify(w.status)}\nagent log:\n${agent.log.split('\n').slice(-15).join('\n')}`);
    });
    expect(running.status.imageId).toBe(id);
    const item = (await images(agent.socket)).find((i) => i.metadata.name === id)!;
    expect(item.status.state).toBe('in-use');
    expect((await call(sock, 'GET', `/v1/images/${encodeURIComponent(id)}`)).json.status.agentDownloaded).toBe(true);
  });
});
