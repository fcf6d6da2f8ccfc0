/**
 * The agent's engine client (controller/engine/: dockerode behind a typed facade) and its removal
 * paths against the test stack's real dockerd and registry. Fixtures are made with a dockerode of
 * their own (test/stack/fixtures.ts); everything under test goes through the product client. What
 * the client sends is read off dockerode's own dial (docker-modem), one line per engine request.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buffer } from 'node:stream/consumers';
import type Dockerode from 'dockerode';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { dockerFromHost, errorText, observe, statusOf } from '../controller/engine/docker.js';
import type { EngineClient } from '../controller/engine/client.js';
import { LineSplitter } from '../crd/api/lines.js';
import { loadArchive, localImage, pullImage, PullError, remoteDigest } from '../controller/effects/pull.js';
import { removeImageSafely } from '../controller/effects/remove.js';
import { waitFor } from './helpers/agent.js';
import { stackInfo } from './stack/context.js';
import { buildFixture, dockerFor, emptyEngine, FIXTURE_CMD, followProgress, pushFixture, runContainer } from './stack/fixtures.js';

/** Record `METHOD /path` of every request the client sends through dockerode, until `stop()`. */
function recordRequests(client: EngineClient): { sent: string[]; stop(): void } {
  const modem = client.docker.modem;
  const dial = modem.dial;
  const sent: string[] = [];
  modem.dial = function (this: typeof modem, o, cb) {
    sent.push(`${o.method} ${o.path.replace(/\?$/, '')}`); // before dial prefixes the API version
    return dial.call(this, o, cb);
  };
  return { sent, stop: () => void (modem.dial = dial) };
}

const stack = stackInfo();
const R = stack.registry;
let docker: Dockerode;
let engine: EngineClient;

const gone = (ref: string) => engine.inspectImage(ref).then(() => false, (e: unknown) => statusOf(e) === 404);

beforeAll(() => {
  docker = dockerFor(stack);
  engine = dockerFromHost(stack.dockerHost);
});
afterAll(() => engine.close());
beforeEach(async () => {
  await emptyEngine(docker);
});

describe('engine client on a real engine', () => {
  it('lists images and all containers (also only created ones), as observe reads them', async () => {
    const id = await buildFixture(docker, 'ec/list:1', { labels: { team: 'edge' } });
    const c = await runContainer(docker, 'ec/list:1', { start: false, name: 'ec-created' });
    const images = await engine.listImages({ all: false });
    expect(images.find((i) => i.Id === id)).toMatchObject({ RepoTags: ['ec/list:1'], Labels: { team: 'edge' } });
    const containers = await engine.listContainers({ all: true });
    expect(containers.find((x) => x.Id === c.id)).toMatchObject({ Names: ['/ec-created'], ImageID: id, State: 'created' });
    const seen = await observe(engine);
    expect(seen.containers.find((x) => x.id === c.id)).toMatchObject({ name: 'ec-created', imageId: id, state: 'created' });
    expect(seen.images.find((i) => i.id === id)).toMatchObject({ tags: ['ec/list:1'], labels: { team: 'edge' } });
  });

  it('inspect of a missing image rejects with statusCode 404 and the engine\'s message', async () => {
    const err = await engine.inspectImage('ec/missing:1').catch((e: unknown) => e);
    expect(statusOf(err)).toBe(404);
    expect(errorText(err)).toMatch(/no such image/i);
    expect(await localImage(engine, 'ec/missing:1')).toBeNull();
  });

  it('an image used by a created container: the unforced delete answers 409, the image keeps its tag, removal says in-use', async () => {
    const id = await buildFixture(docker, 'ec/used:1');
    await runContainer(docker, 'ec/used:1', { start: false, name: 'ec-user' });
    const err = await engine.removeImage(id).catch((e: unknown) => e);
    expect(statusOf(err)).toBe(409);
    expect((await engine.inspectImage(id)).RepoTags).toEqual(['ec/used:1']);
    const out = await removeImageSafely(engine, id, ['ec/used:1']);
    expect(out).toMatchObject({ kind: 'in-use', usedBy: ['ec-user'], restored: [] });
    expect((await engine.inspectImage(id)).RepoTags).toEqual(['ec/used:1']);
  });

  it('single tag: ONE delete by ID removes the tag, its repo digest and the image', async () => {
    const ref = `${R}/ec/fast:1`;
    const id = await buildFixture(docker, ref);
    const digest = await pushFixture(docker, ref);
    expect((await engine.inspectImage(id)).RepoDigests).toEqual([`${R}/ec/fast@${digest}`]);
    const calls = recordRequests(engine);
    try {
      expect(await removeImageSafely(engine, id, [ref])).toEqual({ kind: 'removed', untagged: [], deleted: ref });
      expect(calls.sent).toEqual([`DELETE /images/${id}`]);
    } finally {
      calls.stop();
    }
    expect(await gone(id)).toBe(true);
    expect(await gone(ref)).toBe(true);
  });

  it('digests of two repositories: the delete by ID is refused without a container, and the careful path removes the image', async () => {
    const a = `${R}/ec/a:1`;
    const id = await buildFixture(docker, a);
    await pushFixture(docker, a);
    await docker.getImage(id).tag({ repo: `${R}/ec/b`, tag: '1' });
    const digestB = await pushFixture(docker, `${R}/ec/b:1`);
    await docker.getImage(`${R}/ec/b:1`).remove(); // the tag goes, and with it b's digest
    await followProgress(docker, await docker.pull(`${R}/ec/b@${digestB}`)); // b's digest comes back, without a tag
    const before = await engine.inspectImage(id);
    expect(before.RepoTags).toEqual([a]);
    expect(before.RepoDigests).toHaveLength(2);
    const direct = await engine.removeImage(id).catch((e: unknown) => e);
    expect(statusOf(direct)).toBe(409); // the engine's own refusal, which the fast path meets first
    const calls = recordRequests(engine);
    try {
      expect(await removeImageSafely(engine, id, [a])).toEqual({ kind: 'removed', untagged: [], deleted: a });
      expect(calls.sent[0]).toBe(`DELETE /images/${id}`);
      expect(calls.sent).toContain(`DELETE /images/${a}`);
      expect(calls.sent.at(-1)).toBe(`DELETE /images/${id}`);
    } finally {
      calls.stop();
    }
    expect(await gone(id)).toBe(true);
  });

  it('several tags observed: the careful path from the start untags the extra one and deletes the last, unforced', async () => {
    const id = await buildFixture(docker, 'ec/two:1');
    await docker.getImage(id).tag({ repo: 'ec/two', tag: '2' });
    const calls = recordRequests(engine);
    try {
      expect(await removeImageSafely(engine, id, ['ec/two:1', 'ec/two:2'])).toEqual({ kind: 'removed', untagged: ['ec/two:1'], deleted: 'ec/two:2' });
      expect(calls.sent.filter((l) => l.startsWith('DELETE'))).toEqual(['DELETE /images/ec/two:1', 'DELETE /images/ec/two:2']);
    } finally {
      calls.stop();
    }
    expect(await gone(id)).toBe(true);
  });

  it('an image that is not there: the fast path answers gone after one DELETE', async () => {
    const calls = recordRequests(engine);
    try {
      expect(await removeImageSafely(engine, `sha256:${'0'.repeat(64)}`, [])).toEqual({ kind: 'gone' });
      expect(calls.sent).toEqual([`DELETE /images/sha256:${'0'.repeat(64)}`]);
    } finally {
      calls.stop();
    }
  });

  it('sends one call after another over one kept-alive connection', async () => {
    const id = await buildFixture(docker, 'ec/alive:1');
    const c = dockerFromHost(stack.dockerHost);
    const connect = vi.spyOn(c.agent!, 'createConnection');
    try {
      await observe(c); // two lists at once: they may take two sockets
      const opened = connect.mock.calls.length;
      for (let i = 0; i < 5; i++) {
        await c.listImages();
        await c.inspectImage(id);
        await c.listContainers({ all: true });
      }
      expect(await c.ping()).toBe('OK');
      expect(opened).toBeGreaterThanOrEqual(1);
      expect(connect.mock.calls.length).toBe(opened);
    } finally {
      connect.mockRestore();
      c.close();
    }
  });

  it('pull of a missing tag from the local registry fails with the registry\'s reason', async () => {
    const err = await pullImage(engine, `${R}/ec/missing:nope`).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PullError);
    expect((err as Error).message).toMatch(/manifest unknown|not found/i);
    await expect(remoteDigest(engine, `${R}/ec/missing:nope`)).rejects.toThrow(/cannot resolve/);
    expect(await gone(`${R}/ec/missing:nope`)).toBe(true);
  });

  it('resolves a digest without pulling, then pulls it back with every progress item seen', async () => {
    const ref = `${R}/ec/pull:1`;
    const id = await buildFixture(docker, ref);
    const digest = await pushFixture(docker, ref);
    await docker.getImage(id).remove();
    expect(await remoteDigest(engine, ref)).toBe(digest);
    expect(await gone(ref)).toBe(true);
    const statuses: string[] = [];
    expect(await pullImage(engine, ref, (i) => statuses.push(i.status ?? ''))).toBe(id);
    expect(statuses.at(-1)).toMatch(/Downloaded newer image|Image is up to date/);
    expect((await localImage(engine, ref))?.repoDigests).toEqual([`${R}/ec/pull@${digest}`]);
  });

  it('loads a docker save archive from a file stream', async () => {
    const id = await buildFixture(docker, 'ec/load:1');
    const file = join(mkdtempSync(join(tmpdir(), 'ictl-ec-')), 'load.tar');
    writeFileSync(file, await buffer(await docker.getImage('ec/load:1').get()));
    await docker.getImage(id).remove();
    expect(await gone(id)).toBe(true);
    expect(await loadArchive(engine, file)).toEqual(['ec/load:1']);
    expect((await engine.inspectImage('ec/load:1')).Id).toBe(id);
  });

  it('creates, starts, inspects, restarts and removes a container as the workload executor does', async () => {
    const id = await buildFixture(docker, 'ec/run:1');
    const c = await engine.createContainer({ name: 'ec-run', Image: id, Cmd: FIXTURE_CMD, Labels: { 'imagectl.dev/managed': 'true' }, HostConfig: { NetworkMode: 'none', Init: true } });
    await engine.startContainer(c.Id);
    const running = await engine.inspectContainer(c.Id);
    expect(running).toMatchObject({ Name: '/ec-run', Image: id, State: { Running: true } });
    await engine.restartContainer(c.Id, { t: 1 });
    expect((await engine.inspectContainer(c.Id)).State?.Running).toBe(true);
    await engine.removeContainer(c.Id, { force: true, v: true });
    const err = await engine.inspectContainer(c.Id).catch((e: unknown) => e);
    expect(statusOf(err)).toBe(404);
  });

  it('the event stream delivers a container\'s destroy, and ends when destroyed', async () => {
    const id = await buildFixture(docker, 'ec/events:1');
    const stream = await engine.getEvents({ filters: JSON.stringify({ type: ['container', 'image'] }) });
    const events: { Type: string; Action: string; id?: string; Actor?: { ID?: string } }[] = [];
    const lines = new LineSplitter();
    stream.on('data', (chunk: Buffer) => {
      for (const l of lines.push(chunk)) events.push(JSON.parse(l) as (typeof events)[number]);
    });
    const closed = new Promise((r) => stream.on('close', r));
    try {
      const c = await docker.createContainer({ Image: id, Cmd: FIXTURE_CMD, HostConfig: { NetworkMode: 'none' } });
      await c.remove({ force: true });
      const destroy = await waitFor('the destroy event', async () => events.find((e) => e.Type === 'container' && e.Action === 'destroy' && (e.Actor?.ID ?? e.id) === c.id), 10_000, 20);
      expect(destroy.Actor?.ID).toBe(c.id);
      expect(events.map((e) => e.Action)).toEqual(expect.arrayContaining(['create', 'destroy']));
    } finally {
      stream.destroy();
    }
    await closed;
  });
});
