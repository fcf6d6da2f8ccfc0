/**
 * How a use resolves the reference a container event names: through the index of the last
 * observation, built once an event needs it, and through the engine once an image event may have
 * moved tags. The engine here is a STAND-IN that answers `inspectImage` only and counts the calls
 * (resolution against the real engine runs in test/uses.test.ts and the fault suite).
 */
import { describe, expect, it } from 'vitest';
import type { EngineClient } from '../engine/client.js';
import type { Observation } from '../engine/observation.js';
import { UseLog, type EngineEvent } from './uses.js';

const A = `sha256:${'a'.repeat(64)}`;
const B = `sha256:${'b'.repeat(64)}`;

function standInEngine(answer: Record<string, string>) {
  const asked: string[] = [];
  const docker = {
    inspectImage: async (ref: string) => {
      asked.push(ref);
      if (!answer[ref]) throw Object.assign(new Error('No such image'), { statusCode: 404 });
      return { Id: answer[ref] };
    },
  } as unknown as EngineClient;
  return { docker, asked };
}

const observation = (): Observation => ({
  images: [
    { id: A, tags: ['team/app:1'], repoDigests: ['127.0.0.1:5000/team/app@sha256:' + 'c'.repeat(64)], sizeBytes: 1, created: 1, labels: {} },
    { id: B, tags: ['busybox:latest'], repoDigests: [], sizeBytes: 1, created: 1, labels: {} },
  ],
  containers: [],
});

let n = 1;
const event = (Type: string, Action: string, image: string, id = `c${n}`): EngineEvent => ({
  Type, Action, Actor: { ID: id, Attributes: { image, name: id } }, timeNano: `${1_700_000_000_000 + n++}000000`,
});

describe('UseLog: the image a container event names', () => {
  it('resolves references through the last observation, in their normalized forms, without asking the engine', async () => {
    const { docker, asked } = standInEngine({});
    const log = new UseLog(docker);
    log.learn(observation());
    await log.take(event('container', 'create', 'team/app:1', 'c-a'));
    await log.take(event('container', 'create', 'docker.io/library/busybox', 'c-b'));
    await log.take(event('container', 'create', `127.0.0.1:5000/team/app@sha256:${'c'.repeat(64)}`, 'c-d'));
    expect([...log.drain().uses.keys()].sort()).toEqual([A, B]);
    expect(asked).toEqual([]);
  });

  it('asks the engine after an image event (a tag may have moved) until the next observation', async () => {
    const { docker, asked } = standInEngine({ 'team/app:1': B });
    const log = new UseLog(docker);
    log.learn(observation());
    await log.take(event('image', 'tag', 'team/app:1'));
    await log.take(event('container', 'create', 'team/app:1', 'c-1'));
    expect([...log.drain().uses.keys()]).toEqual([B]);
    expect(asked).toEqual(['team/app:1']);
    log.learn(observation());
    await log.take(event('container', 'create', 'team/app:1', 'c-2'));
    expect([...log.drain().uses.keys()]).toEqual([A]);
    expect(asked).toHaveLength(1);
  });

  it('counts no use for a reference that names no image, and keeps the container it learnt', async () => {
    const { docker, asked } = standInEngine({});
    const log = new UseLog(docker);
    log.learn(observation());
    await log.take(event('container', 'create', 'gone/app:9', 'c-x'));
    expect(log.drain().uses.size).toBe(0);
    expect(asked).toEqual(['gone/app:9']);
    await log.take(event('container', 'start', 'team/app:1', 'c-y'));
    await log.take(event('container', 'die', 'whatever', 'c-y'));
    expect([...log.drain().uses.keys()]).toEqual([A]);
  });
});
