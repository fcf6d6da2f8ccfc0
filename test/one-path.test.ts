/**
 * One path per effect, on the real engine and registry: `imagectl rmi` and a policy's removal go
 * through the same write-ahead record and removal executor and leave the same audit trail; and the
 * server dry run predicts what the agent then does, with the agent's default pull policy. A
 * pass-through proxy at the engine's socket (test/fault/helpers/engine-proxy.ts: it changes
 * nothing the engine says) counts the registry lookups the agent asks the engine for.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Dockerode from 'dockerode';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AgentProcess, waitFor } from './helpers/agent.js';
import { EngineProxy } from './fault/helpers/engine-proxy.js';
import { watchDeletes } from './fault/helpers/invariants.js';
import { stackInfo } from './stack/context.js';
import { buildFixture, dockerFor, emptyEngine, pushFixture } from './stack/fixtures.js';

const stack = stackInfo();
const R = stack.registry;
const dir = mkdtempSync(join(tmpdir(), 'ictl-one-'));
let docker: Dockerode;
let agent: AgentProcess;
let proxy: EngineProxy | null = null;

interface Rec { time: string; image: string | null; tags: string[]; from: string | null; to: string; event: string; reason: string; actor: string }
const history = async (id: string) => ((await agent.cli(['audit', '--image', id, '-o', 'json'])).stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Rec)).filter((r) => !r.event.startsWith('api.'));
const file = (name: string, text: string) => {
  const f = join(dir, name);
  writeFileSync(f, text);
  return f;
};

/** An image in the stack's registry and not in the engine, so that the agent pulls it (agent-downloaded). */
async function published(ref: string): Promise<void> {
  await buildFixture(docker, ref);
  await pushFixture(docker, ref);
  await docker.getImage(ref).remove();
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

describe('one path per effect', () => {
  it('rmi and a policy removal both record removable first, remove through the same executor and leave the same audit trail', async () => {
    const byRule = `${R}/one/rule:1`;
    const byRmi = `${R}/one/rmi:1`;
    await published(byRule);
    await published(byRmi);
    agent = new AgentProcess(stack, AgentProcess.tempStateDir());
    await agent.start();
    for (const ref of [byRule, byRmi]) expect((await agent.cli(['pull', ref])).code).toBe(0);
    const idOf = async (ref: string) => (await docker.getImage(ref).inspect()).Id;
    const [ruleId, rmiId] = [await idOf(byRule), await idOf(byRmi)];
    const w = await watchDeletes(docker);
    try {
      const p = file('one.yaml', `apiVersion: imagectl.dev/v1alpha1\nkind: ImagePolicy\nmetadata: {name: one}\nspec:\n  removal: [{imageName: "${R}/one/rule:*", deleteAfter: 2s}]\n`);
      expect((await agent.cli(['apply', '-f', p])).code).toBe(0);
      const rmi = await agent.cli(['rmi', byRmi]);
      expect(rmi.code, rmi.stderr).toBe(0);
      expect(rmi.stdout).toContain(`Deleted: ${rmiId}`);
      await waitFor('the policy removal', async () => docker.getImage(ruleId).inspect().then(() => false, () => true), 15_000, 100);
      await waitFor('both deletes in the engine\'s events', async () => w.deletes.has(ruleId) && w.deletes.has(rmiId), 5_000, 50);

      const trails = { rule: await history(ruleId), rmi: await history(rmiId) };
      for (const [who, h] of Object.entries(trails)) {
        const id = who === 'rule' ? ruleId : rmiId;
        const [removable, removed] = h.slice(-2);
        // write-ahead: on disk as removable before the engine was asked to delete
        expect(`${removable!.from}->${removable!.to}`, who).toBe('idle->removable');
        expect(Date.parse(removable!.time), who).toBeLessThanOrEqual(w.deletes.get(id)!);
        expect(`${removed!.from}->${removed!.to} ${removed!.event}`, who).toBe('removable->removed removed');
        expect(removed!.reason, who).toMatch(new RegExp(`; removed ${(who === 'rule' ? byRule : byRmi).replace(/[.:/]/g, '\\$&')}$`));
      }
      const shape = (r: Rec) => Object.keys(r).sort();
      expect(shape(trails.rmi.at(-1)!)).toEqual(shape(trails.rule.at(-1)!));
      expect(shape(trails.rmi.at(-2)!)).toEqual(shape(trails.rule.at(-2)!));
      expect(trails.rule.slice(-2).map((r) => r.actor)).toEqual(['agent', 'agent']);
      expect(trails.rmi.at(-2)!.event).toBe('remove_requested');
      expect(trails.rmi.at(-2)!.reason).toBe(`requested by imagectl rmi ${byRmi}`);
      expect(trails.rmi.slice(-2).map((r) => r.actor)).toEqual([expect.stringMatching(/^uid:\d+$/), expect.stringMatching(/^uid:\d+$/)]);
    } finally {
      w.stop();
    }
  });

  it('under --default-pull-policy IfNotPresent the server dry run says a present image is used as it is, and the agent then resolves nothing', async () => {
    const ref = `${R}/one/present:1`;
    const id = await buildFixture(docker, ref);
    await pushFixture(docker, ref);
    proxy = new EngineProxy(stack.socketPath, join(mkdtempSync(join(tmpdir(), 'ictl-px-')), 'docker.sock'));
    await proxy.start();
    agent = new AgentProcess({ ...stack, dockerHost: proxy.dockerHost }, AgentProcess.tempStateDir(), ['--default-pull-policy', 'IfNotPresent']);
    await agent.start();
    await waitFor('the agent to see the image', async () => (await agent.json<{ items: { metadata: { name: string } }[] }>(['get', 'images', '-o', 'json'])).items.some((i) => i.metadata.name === id));
    const registryCalls = () => proxy!.seen.filter((l) => /\/distribution\/|\/images\/create/.test(l));
    const wl = file('present.yaml', `apiVersion: imagectl.dev/v1alpha1\nkind: Workload\nmetadata: {name: present}\nspec:\n  image: ${ref}\n  command: ["/bin/busybox", "sleep", "3600"]\n`);

    const dry = JSON.parse((await agent.cli(['apply', '--dry-run=server', '-o', 'json', '-f', wl])).stdout) as { workloads: { workload: string; container: string; image: string }[] };
    expect(dry.workloads).toEqual([expect.objectContaining({ workload: 'present', container: 'create', image: 'none' })]);

    expect((await agent.cli(['apply', '-f', wl])).code).toBe(0);
    const w = await waitFor('the workload to run', async () => {
      const x = await agent.json<{ status: { phase: string; imageId: string } }>(['get', 'workload', 'present', '-o', 'json']);
      return x.status.phase === 'Running' ? x : undefined;
    }, 15_000);
    expect(w.status.imageId).toBe(id);
    expect(registryCalls()).toEqual([]);

    // the same image with imagePullPolicy Always: the preview says resolve, and the agent resolves
    const always = file('always.yaml', `apiVersion: imagectl.dev/v1alpha1\nkind: Workload\nmetadata: {name: always}\nspec:\n  image: ${ref}\n  imagePullPolicy: Always\n  command: ["/bin/busybox", "sleep", "3600"]\n`);
    const dry2 = JSON.parse((await agent.cli(['apply', '--dry-run=server', '-o', 'json', '-f', always])).stdout) as { workloads: { image: string }[] };
    expect(dry2.workloads.map((x) => x.image)).toEqual(['resolve']);
    expect((await agent.cli(['apply', '-f', always])).code).toBe(0);
    await waitFor('the registry lookup', async () => registryCalls().length > 0, 15_000, 100);
    expect(registryCalls().every((l) => l.includes('/distribution/'))).toBe(true);
  });
});
