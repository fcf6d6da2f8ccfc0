/**
 * Event storm: 500 containers are created and removed within 30 s on a real engine. The agent
 * keeps up (its state is right at the end), its memory stays bounded (peak RSS is printed),
 * debouncing folds the events into far fewer passes, and at most one pass runs at a time.
 */
import type Dockerode from 'dockerode';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AgentProcess, waitFor } from '../helpers/agent.js';
import { stackInfo } from '../stack/context.js';
import { buildFixture, dockerFor, emptyEngine, FIXTURE_CMD } from '../stack/fixtures.js';
import { health, images } from './helpers/api.js';
import { stateAgrees } from './helpers/invariants.js';
import { peakRss } from './helpers/proc.js';

const stack = stackInfo();
let docker: Dockerode;
let agent: AgentProcess;

beforeAll(() => {
  docker = dockerFor(stack);
});
beforeEach(async () => {
  await emptyEngine(docker);
});
afterEach(async () => {
  await agent?.dispose();
});

describe('event storm', () => {
  it('500 containers created and removed within 30 s: the state is right at the end, memory is bounded, passes are debounced and never overlap', async () => {
    const a = await buildFixture(docker, 'storm/a:1');
    const b = await buildFixture(docker, 'storm/b:1');
    // no periodic resync: only the engine's events drive passes
    agent = new AgentProcess(stack, AgentProcess.tempStateDir(), ['--interval', '1h']);
    await agent.start();
    const pid = agent.child!.pid!;
    const before = await health(agent.socket);
    const rssBefore = peakRss(pid);

    const started = Date.now();
    const kept: string[] = [];
    let next = 0;
    const worker = async () => {
      for (let i = next++; i < 500; i = next++) {
        const image = i % 2 === 0 ? 'storm/a:1' : 'storm/b:1';
        const c = await docker.createContainer({ Image: image, name: `storm-${i}`, Cmd: FIXTURE_CMD, HostConfig: { NetworkMode: 'none' } });
        // ten containers on A stay; everything else goes again
        if (image === 'storm/a:1' && kept.length < 10) kept.push(`storm-${i}`);
        else await c.remove();
      }
    };
    await Promise.all(Array.from({ length: 8 }, worker));
    const stormMs = Date.now() - started;
    expect(stormMs, 'the engine could not create and remove 500 containers within 30 s here').toBeLessThan(30_000);

    const settled = await waitFor('the agent to catch up', async () => {
      const all = await images(agent.socket);
      const ia = all.find((i) => i.metadata.name === a)?.status;
      const ib = all.find((i) => i.metadata.name === b)?.status;
      return ia?.state === 'in-use' && ia.usedBy.length === 10 && ib?.state === 'idle' ? { ia, ib } : undefined;
    }, 10_000, 100);
    const caughtUpMs = Date.now() - started - stormMs;
    expect([...settled.ia.usedBy].sort()).toEqual([...kept].sort());
    expect(await stateAgrees(docker, agent.socket)).toEqual([]);

    const h = await health(agent.socket);
    const passes = h.passes - before.passes;
    const events = h.passStats.events - before.passStats.events;
    const peak = peakRss(pid);
    console.log(`[storm] 500 containers created and removed in ${stormMs} ms; caught up ${caughtUpMs} ms later; ${events} engine events, ${passes} passes, ${h.passStats.coalesced} triggers folded into a running pass, max concurrent passes ${h.passStats.maxConcurrent}; peak RSS ${(rssBefore / 2 ** 20).toFixed(0)} MiB before, ${(peak / 2 ** 20).toFixed(0)} MiB after`);
    expect(events).toBeGreaterThanOrEqual(990); // 500 creates and 490 destroys, at least
    expect(h.passStats.maxConcurrent).toBe(1);
    // the debounce folds events into at most one pass per 100 ms window (plus the start, resync and
    // due passes), whatever the machine's speed; and far fewer passes than events
    expect(passes).toBeLessThanOrEqual(Math.ceil((stormMs + caughtUpMs) / 100) + 5);
    expect(passes).toBeLessThan(events / 5);
    expect(peak).toBeLessThan(300 * 2 ** 20);
  });
});
