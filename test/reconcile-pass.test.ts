/**
 * One reconcile pass, run in this process against the test stack's real engine and a real store,
 * with the clock as an input: it returns when to run again (`requeueAfter`), throws when the pass
 * failed (the loop retries those with backoff), and ends a removal the engine refuses for good (409
 * with no container using the image) in a terminal, reported outcome that is not retried until
 * something changes.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Dockerode from 'dockerode';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { dockerFromHost } from '../controller/engine/docker.js';
import type { EngineClient } from '../controller/engine/client.js';
import { PassError } from '../controller/reconcile/loop.js';
import type { PassDeps } from '../controller/reconcile/options.js';
import { runPass } from '../controller/reconcile/pass.js';
import { REFUSED } from '../controller/reconcile/removals.js';
import { LoopState } from '../controller/reconcile/state.js';
import { UseLog } from '../controller/reconcile/uses.js';
import { Store } from '../controller/store/store.js';
import { WorkloadExecutor } from '../controller/workloads/executor.js';
import type { ImagePolicy } from '../crd/imagepolicy/type.js';
import { stackInfo } from './stack/context.js';
import { buildFixture, dockerFor, emptyEngine, FIXTURE_CMD } from './stack/fixtures.js';

const stack = stackInfo();
const T0 = Date.UTC(2030, 0, 1);
let docker: Dockerode;
let dir: string;
let store: Store;
let clock: number;
const silent = { info() {}, warn() {}, error() {} };

const policy = { apiVersion: 'imagectl.dev/v1alpha1', kind: 'ImagePolicy', metadata: { name: 'pass' }, spec: { removal: [{ imageName: 'pass/*:*', deleteAfter: '3s' }] } } as unknown as ImagePolicy;

function deps(engine: EngineClient = dockerFromHost(stack.dockerHost)): PassDeps {
  const archives = { cacheDir: join(dir, 'cache'), roots: [join(dir, 'archives')] };
  const now = () => clock;
  return {
    docker: engine, store, nodeLabels: {}, intervalMs: 3_600_000, log: silent, archives, now, stopped: () => false,
    workloads: new WorkloadExecutor({ docker: engine, defaultPullPolicy: 'Always', archives, now }),
    // no event stream in this process: a pass here acts on what it lists (the agent's stream: test/uses.test.ts, test/fault/every-use.test.ts)
    uses: new UseLog(engine),
    history: async () => true,
  };
}

function state(): LoopState {
  const s = new LoopState();
  s.selected = [policy];
  s.policiesKey = 'pass';
  return s;
}

/** The engine's client, counting the deletes it is asked for. */
function counting(engine: EngineClient): { engine: EngineClient; deletes: string[] } {
  const deletes: string[] = [];
  const c = Object.create(engine) as EngineClient;
  c.removeImage = (ref: string) => {
    deletes.push(ref);
    return engine.removeImage(ref);
  };
  return { engine: c, deletes };
}

beforeAll(() => {
  docker = dockerFor(stack);
});
beforeEach(async () => {
  await emptyEngine(docker);
  dir = mkdtempSync(join(tmpdir(), 'ictl-pass-'));
  store = await Store.open(dir);
  clock = T0;
});
afterEach(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('one reconcile pass', () => {
  it('returns when the next removal falls due, removes at that moment, and then has nothing to wait for', async () => {
    const id = await buildFixture(docker, 'pass/a:1');
    const d = deps();
    const s = state();
    expect(await runPass(d, s, 'test')).toEqual({ requeueAfter: 3_000 + 5 });
    expect(s.images.get(id)?.state).toBe('idle');
    clock += 1_000;
    expect(await runPass(d, s, 'test')).toEqual({ requeueAfter: 2_000 + 5 });
    clock += 2_005;
    expect(await runPass(d, s, 'test')).toEqual({ requeueAfter: null });
    expect(s.images.get(id)?.state).toBe('removed');
    await expect(docker.getImage(id).inspect()).rejects.toThrow();
    expect((await store.auditForImage(id)).map((r) => `${r.from}->${r.to}`)).toEqual(['null->downloaded', 'downloaded->idle', 'idle->removable', 'removable->removed']);
  });

  it('throws when the engine does not answer, and says so in the state', async () => {
    const s = state();
    const err = await runPass(deps(dockerFromHost(`unix://${join(dir, 'no-engine.sock')}`)), s, 'test').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PassError);
    expect((err as PassError).requeueAfter).toBeUndefined();
    expect(s.engine.reachable).toBe(false);
    expect(s.lastPass?.error).toMatch(/ENOENT|connect/);
    expect(s.passes).toBe(0);
  });

  it('throws in safe mode (the store takes no write), removing nothing and forgetting the due timer', async () => {
    const id = await buildFixture(docker, 'pass/safe:1');
    const d = deps();
    const s = state();
    await runPass(d, s, 'test');
    clock += 3_005;
    const closed = Object.create(store) as Store;
    closed.commit = async () => {
      throw new Error('No space left on device');
    };
    const err = await runPass({ ...d, store: closed }, s, 'test').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PassError);
    expect((err as PassError).requeueAfter).toBeNull();
    expect(s.safeMode?.reason).toContain('No space left on device');
    expect((await docker.getImage(id).inspect()).Id).toBe(id);
  });

  it('a removal refused with 409 while no container uses the image is terminal: reported, not retried, retried once the engine\'s images change', async () => {
    // a child image (docker commit) makes the engine refuse to delete its parent, with no container left
    const parent = await buildFixture(docker, 'pass/parent:1');
    const c = await docker.createContainer({ Image: parent, Cmd: FIXTURE_CMD, HostConfig: { NetworkMode: 'none' } });
    const child = (await c.commit({ repo: 'keep/child', tag: '1' })).Id as string;
    await c.remove();
    const { engine, deletes } = counting(dockerFromHost(stack.dockerHost));
    const d = deps(engine);
    const s = state();
    await runPass(d, s, 'test');
    clock += 3_005;
    // not an error: the outcome is final until something changes
    expect(await runPass(d, s, 'test')).toEqual({ requeueAfter: null });
    const img = s.images.get(parent)!;
    expect(img.state).toBe('idle');
    expect(img.context.protectedBy).toBe(REFUSED);
    expect(img.context.lastError).toMatch(/^conflict \(409\): .*dependent child images/);
    expect(img.context.reason).toMatch(/^removal refused: conflict \(409\).*no container uses it, so it is not retried until something changes/);
    const history = await store.auditForImage(parent);
    expect(history.slice(-2).map((r) => `${r.from}->${r.to} ${r.event}`)).toEqual(['idle->removable observe', 'removable->idle remove_failed']);
    expect((await docker.getImage(parent).inspect()).RepoTags).toEqual(['pass/parent:1']);
    const tried = deletes.length;
    expect(tried).toBeGreaterThan(0);

    // later passes leave it alone
    for (let i = 0; i < 3; i++) {
      clock += 10_000;
      expect(await runPass(d, s, 'test')).toEqual({ requeueAfter: null });
    }
    expect(deletes).toHaveLength(tried);
    expect((await store.auditForImage(parent))).toHaveLength(history.length);

    // the child goes: the engine's images changed, so the removal is tried again, and succeeds
    await docker.getImage(child).remove();
    clock += 1_000;
    expect(await runPass(d, s, 'test')).toEqual({ requeueAfter: null });
    expect(s.images.get(parent)?.state).toBe('removed');
    await expect(docker.getImage(parent).inspect()).rejects.toThrow();
  });
});
