/**
 * The 409 race on a real engine: a container is created on an image at the moment its removal
 * falls due. The image is never deleted while a container references it, it keeps every tag, its
 * machine goes back to in-use with an audit reason, and nothing is forced.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Dockerode from 'dockerode';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AgentProcess, waitFor } from '../helpers/agent.js';
import { stackInfo } from '../stack/context.js';
import { buildFixture, dockerFor, emptyEngine, FIXTURE_CMD, removeAllContainers } from '../stack/fixtures.js';
import { auditLog, call, images } from './helpers/api.js';
import { EngineProxy } from './helpers/engine-proxy.js';
import { faultSeed, seededRandom } from '../helpers/rng.js';

const stack = stackInfo();
let docker: Dockerode;
let agent: AgentProcess;
let proxy: EngineProxy | null = null;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const policy = (after: string) => JSON.stringify({ objects: [{ apiVersion: 'imagectl.dev/v1alpha1', kind: 'ImagePolicy', metadata: { name: 'race' }, spec: { removal: [{ imageName: 'race/*:*', deleteAfter: after }] } }] });

/**
 * An image with two tags (deleting it by ID would 409; the agent untags, then deletes the last
 * tag), held in use by a container until `release` so that its countdown starts then.
 */
async function twoTagged(name: string): Promise<{ id: string; release(): Promise<void> }> {
  const step = <T>(what: string, p: Promise<T>) => p.catch((e) => {
    throw new Error(`${name}: ${what}: ${String(e)}`);
  });
  const id = await step('build', buildFixture(docker, `race/${name}:a`));
  const holder = await step('hold', docker.createContainer({ Image: id, Cmd: FIXTURE_CMD, HostConfig: { NetworkMode: 'none' } }));
  await step('tag', docker.getImage(id).tag({ repo: `race/${name}`, tag: 'b' }));
  return { id, release: () => holder.remove() };
}
const tagsOf = async (id: string) => ((await docker.getImage(id).inspect()).RepoTags ?? []).sort();

/** Image events (delete, untag, tag) by image ID, and container creations, in the engine's own order. */
interface EngineEvent { type: string; action: string; id: string; timeNano: number }
async function imageEvents(): Promise<{ events: EngineEvent[]; stop(): void }> {
  const events: EngineEvent[] = [];
  const stream = await docker.getEvents({ filters: JSON.stringify({ type: ['image', 'container'] }) });
  stream.on('data', (c: Buffer) => {
    for (const l of c.toString().split('\n').filter(Boolean)) {
      const e = JSON.parse(l) as { Type: string; Action: string; Actor?: { ID?: string }; id?: string; timeNano: number };
      if (e.Type === 'image' || e.Action === 'create') events.push({ type: e.Type, action: e.Action, id: e.Actor?.ID ?? e.id ?? '', timeNano: e.timeNano });
    }
  });
  return { events, stop: () => (stream as unknown as { destroy(): void }).destroy() };
}

beforeAll(() => {
  docker = dockerFor(stack);
});
beforeEach(async () => {
  await emptyEngine(docker);
});
afterEach(async () => {
  await agent?.dispose();
  await proxy?.stop();
  proxy = null;
});

describe('the 409 race', () => {
  it('30 containers created at the due moment ±50 ms: no image is deleted while referenced, none loses a tag, each goes back to in-use with a reason', async () => {
    const seed = faultSeed();
    console.log(`[race-409] seed ${seed} (FAULT_SEED=${seed} replays it)`);
    const rnd = seededRandom(seed);
    agent = new AgentProcess(stack, AgentProcess.tempStateDir());
    await agent.start();
    const w = await imageEvents();
    const outcomes = { containerFirst: 0, caughtAfterDue: 0, removedFirst: 0, engineRace: 0 };
    try {
      expect((await call({ socketPath: agent.socket }, 'POST', '/v1/apply', policy('2s'))).status).toBe(200);
      for (let batch = 0; batch < 5; batch++) {
        const names = Array.from({ length: 6 }, (_, i) => `i${batch * 6 + i}`);
        const held = await Promise.all(names.map((n) => twoTagged(n)));
        // every countdown of the batch starts now
        await Promise.all(held.map((h) => h.release()));
        await Promise.all(names.map(async (name, k) => {
          const id = held[k]!.id;
          const item = await waitFor(`${name} due`, async () => (await images(agent.socket)).find((i) => i.metadata.name === id && i.status.removeAt));
          const offset = Math.round((rnd() * 2 - 1) * 50);
          await sleep(Math.max(0, Date.parse(item.status.removeAt!) + offset - Date.now()));
          let created: Dockerode.Container | null = null;
          try {
            created = await docker.createContainer({ Image: `race/${name}:b`, Cmd: FIXTURE_CMD, HostConfig: { NetworkMode: 'none' } });
          } catch (err) {
            expect((err as { statusCode?: number }).statusCode, `${name}: ${String(err)}`).toBe(404);
          }
          const settled = await waitFor(`${name} settled`, async () => {
            const st = (await images(agent.socket)).find((i) => i.metadata.name === id)?.status;
            return st && (st.state === 'in-use' || st.state === 'removed') ? st : undefined;
          }, 10_000, 50);
          const history = await auditLog(agent.socket, id);
          const gone = await docker.getImage(id).inspect().then(() => false, () => true);
          if (created && gone) {
            // dockerd's own race: it resolved the image for the new container, then accepted the
            // agent's plain (unforced) delete, and registered the container after. The engine's
            // events show the order: the image was deleted before the container existed.
            await sleep(200);
            const deleted = w.events.find((e) => e.type === 'image' && e.action === 'delete' && e.id === id);
            const made = w.events.find((e) => e.type === 'container' && e.id === created!.id);
            expect(deleted, `${name}: gone without a delete event`).toBeDefined();
            // dockerd stamps the two events at different points of two overlapping requests, so
            // their order within a few milliseconds means nothing; the race is that overlap. A
            // container that existed well before the delete would be the agent's fault: fail then.
            expect((deleted!.timeNano - made!.timeNano) / 1e6, `${name}: the engine deleted an image it already had a container for`).toBeLessThan(50);
            expect(settled.state, name).toBe('removed');
            outcomes.engineRace++;
          } else if (created) {
            // referenced: present, with both tags, in use, and the audit says why
            const why = `${name} (offset ${offset} ms): ${JSON.stringify(history.map((r) => `${r.time} ${r.from}->${r.to}: ${r.reason}`))}`;
            expect(await tagsOf(id).catch((e) => [`inspect failed: ${String(e)}`]), why).toEqual([`race/${name}:a`, `race/${name}:b`]);
            expect(settled.state, name).toBe('in-use');
            const last = history.filter((r) => !r.event.startsWith('api.')).at(-1)!;
            expect(last.to, name).toBe('in-use');
            expect(last.reason, name).toMatch(/^(used by container|removal refused: .*nothing forced)/);
            if (history.some((r) => r.to === 'removable')) outcomes.caughtAfterDue++;
            else outcomes.containerFirst++;
            expect(w.events.filter((e) => e.id === id && e.action === 'delete'), name).toEqual([]);
          } else {
            expect(settled.state, name).toBe('removed');
            await expect(docker.getImage(id).inspect()).rejects.toThrow();
            outcomes.removedFirst++;
          }
        }));
        await removeAllContainers(docker);
      }
      console.log(`[race-409] outcomes ${JSON.stringify(outcomes)}`);
      expect(outcomes.containerFirst + outcomes.caughtAfterDue + outcomes.removedFirst + outcomes.engineRace).toBe(30);
    } finally {
      w.stop();
    }
  });

  it('a container created while the agent\'s delete is in flight: the engine answers 409, the removed tag is restored, the machine goes back to in-use, nothing is forced', async () => {
    const { id, release } = await twoTagged('held');
    await release();
    proxy = new EngineProxy(stack.socketPath, join(mkdtempSync(join(tmpdir(), 'ictl-px-')), 'docker.sock'));
    await proxy.start();
    let container: Dockerode.Container | null = null;
    const deletes: string[] = [];
    proxy.hold = async (req) => {
      if (req.method !== 'DELETE' || !req.url?.replace(/^\/v[\d.]+\//, '/').startsWith('/images/')) return;
      deletes.push(req.url);
      // the first delete of the removal (an extra tag): put a container on the image right now
      if (!container) container = await docker.createContainer({ Image: id, Cmd: FIXTURE_CMD, HostConfig: { NetworkMode: 'none' } });
    };
    agent = new AgentProcess({ ...stack, dockerHost: proxy.dockerHost }, AgentProcess.tempStateDir());
    await agent.start();
    const w = await imageEvents();
    try {
      expect((await call({ socketPath: agent.socket }, 'POST', '/v1/apply', policy('1s'))).status).toBe(200);
      const st = await waitFor('in-use after the refused removal', async () => {
        const s = (await images(agent.socket)).find((i) => i.metadata.name === id)?.status;
        return s?.state === 'in-use' ? s : undefined;
      }, 10_000, 50);
      expect(container).not.toBeNull();
      expect(deletes.length).toBe(2); // untag one tag, then the last one: refused
      expect(deletes.every((u) => !/force=(true|1)/.test(u))).toBe(true);
      expect(await tagsOf(id)).toEqual(['race/held:a', 'race/held:b']);
      expect(st.reason).toMatch(/^removal refused: conflict \(409\): .*; tags restored \(race\/held:[ab]\), nothing forced$/);
      const transitions = (await auditLog(agent.socket, id)).filter((r) => !r.event.startsWith('api.'));
      expect(transitions.slice(-2).map((r) => `${r.from}->${r.to} ${r.event}`)).toEqual(['idle->removable observe', 'removable->in-use remove_failed']);
      await sleep(300);
      const imageEventsSeen = w.events.filter((e) => e.type === 'image');
      expect(imageEventsSeen.filter((e) => e.action === 'delete')).toEqual([]);
      expect(imageEventsSeen.map((e) => e.action)).toEqual(['untag', 'tag']);
    } finally {
      w.stop();
    }
  });
  it('a tag and a container that appear while the last tag is deleted: the engine only untags it, refuses the delete by ID, and every tag the agent removed is restored', async () => {
    const { id, release } = await twoTagged('late');
    await release();
    proxy = new EngineProxy(stack.socketPath, join(mkdtempSync(join(tmpdir(), 'ictl-px-')), 'docker.sock'));
    await proxy.start();
    const deletes: string[] = [];
    proxy.hold = async (req) => {
      if (req.method !== 'DELETE' || !req.url?.replace(/^\/v[\d.]+\//, '/').startsWith('/images/')) return;
      deletes.push(decodeURIComponent(req.url));
      // the second delete is the last tag: someone tags the image and creates a container on it now
      if (deletes.length === 2) {
        await docker.getImage(id).tag({ repo: 'race/late', tag: 'c' });
        await docker.createContainer({ Image: id, Cmd: FIXTURE_CMD, HostConfig: { NetworkMode: 'none' } });
      }
    };
    agent = new AgentProcess({ ...stack, dockerHost: proxy.dockerHost }, AgentProcess.tempStateDir());
    await agent.start();
    expect((await call({ socketPath: agent.socket }, 'POST', '/v1/apply', policy('1s'))).status).toBe(200);
    const st = await waitFor('in-use after the refused delete by ID', async () => {
      const x = (await images(agent.socket)).find((i) => i.metadata.name === id)?.status;
      return x?.state === 'in-use' ? x : undefined;
    }, 10_000, 50);
    expect(deletes).toHaveLength(3); // an extra tag, the last tag (only untagged), the image by ID (refused)
    expect(deletes[2]).toContain(id);
    expect(await tagsOf(id)).toEqual(['race/late:a', 'race/late:b', 'race/late:c']);
    expect(st.reason).toMatch(/^removal refused: conflict \(409\): .*; tags restored \(race\/late:[ab], race\/late:[ab]\), nothing forced$/);
  });
});
