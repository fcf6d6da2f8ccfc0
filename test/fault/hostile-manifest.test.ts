/**
 * A hostile manifest, on a real engine: it must not brick the agent (security issue, finding 1).
 * One ImagePolicy of 107 KB (4000 `keep` globs of 1000 brace alternatives each) once blocked
 * validation for 34 s and grew the agent to 3.8 GB until it died, at every restart once stored;
 * 300 such globs (8 KB) in a server dry run blocked 5.4 s and left 530 MB. Now the cost budget
 * refuses them at validation with file:line:col and the JSON path, a store that already holds one
 * starts in safe mode with that policy disabled and reported, and a glob with many wildcards costs
 * linear time against a long reference (minimatch's RegExps backtracked: O(n^k)).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Dockerode from 'dockerode';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AgentProcess, waitFor } from '../helpers/agent.js';
import { stackInfo } from '../stack/context.js';
import { buildFixture, dockerFor, emptyEngine } from '../stack/fixtures.js';
import { Store } from '../../controller/store/store.js';
import { call, health } from './helpers/api.js';
import { rss } from './helpers/proc.js';

const stack = stackInfo();
let docker: Dockerode;
let agent: AgentProcess;
const work = mkdtempSync(join(tmpdir(), 'ictl-hostile-manifest-'));

const MB = 1024 * 1024;

const bombSpec = (n: number) => ({ removal: [{ imageName: 'hm/*:*', deleteAfter: '1s' }], keep: Array.from({ length: n }, (_, i) => `fixture/p${i}{0..999}:*`) });
const policyDoc = (name: string, spec: object) => ({ apiVersion: 'imagectl.dev/v1alpha1', kind: 'ImagePolicy', metadata: { name }, spec });

beforeAll(() => {
  docker = dockerFor(stack);
});
afterAll(() => rmSync(work, { recursive: true, force: true }));
beforeEach(async () => {
  await emptyEngine(docker);
  agent = new AgentProcess(stack, AgentProcess.tempStateDir());
});
afterEach(() => agent.dispose());

describe('a hostile ImagePolicy (finding 1)', () => {
  it('the 107 KB policy of 4000 brace globs is refused with file:line:col and path, by the CLI and by the agent, and the agent stays small', async () => {
    await agent.start();
    const file = join(work, 'bomb.yaml');
    const doc = policyDoc('bomb', bombSpec(4000));
    writeFileSync(file, JSON.stringify(doc, null, 1));
    expect(readFileSync(file).length).toBeGreaterThan(100_000);
    const r = await agent.cli(['apply', '-f', file]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${file}:`);
    expect(r.stderr).toMatch(/bomb\.yaml:\d+:\d+ spec\.keep: must NOT have more than 1000 items/);
    const pid = agent.child!.pid!;
    // the agent validates what it receives itself (a client could be anything): applied and as a server dry run
    for (const dryRun of [undefined, 'server']) {
      const res = await call({ socketPath: agent.socket }, 'POST', '/v1/apply', JSON.stringify({ objects: [doc], dryRun }));
      expect(res.status).toBe(422);
      expect(res.json.details).toEqual(['objects[0].spec.keep: must NOT have more than 1000 items']);
    }
    // the 8 KB one (300 globs) fits the schema and is stopped by the policy's budget, naming the glob that crossed it
    const small = policyDoc('small-bomb', bombSpec(300));
    expect(JSON.stringify(small).length).toBeLessThan(10_000);
    const dry = await call({ socketPath: agent.socket }, 'POST', '/v1/apply', JSON.stringify({ objects: [small], dryRun: 'server' }));
    expect(dry.status).toBe(422);
    expect(dry.json.details).toEqual(["objects[0].spec.keep[4]: the policy's patterns expand to more than 5000 brace alternatives in all (the budget of one policy): use fewer or broader globs"]);
    const smallFile = join(work, 'small-bomb.yaml');
    writeFileSync(smallFile, `apiVersion: imagectl.dev/v1alpha1\nkind: ImagePolicy\nmetadata:\n  name: small-bomb\nspec:\n  keep:\n${bombSpec(300).keep.map((k) => `    - "${k}"`).join('\n')}\n`);
    expect((await agent.cli(['apply', '-f', smallFile])).stderr).toContain(`${smallFile}:12:7 spec.keep[5]: the policy's patterns expand to more than 5000`);
    expect(rss(pid)).toBeLessThan(400 * MB);
    expect((await health(agent.socket)).kind).toBe('Health');
    expect((await agent.json(['get', 'policies', '-o', 'json'])).items).toEqual([]);
  });

  it('a store that already holds one (an older version, or written by hand) starts in safe mode with that policy disabled and reported; nothing is removed until it is deleted', async () => {
    await buildFixture(docker, 'hm/idle:1');
    await agent.start();
    await agent.stop();
    // written straight into the store, as an older agent without the budget would have kept it
    const store = await Store.open(agent.stateDir);
    const meta = (name: string) => ({ name, uid: `uid-${name}`, generation: 1, creationTimestamp: new Date().toISOString() });
    await store.commit({
      putObjects: [
        { ...policyDoc('bomb', bombSpec(4000)), metadata: meta('bomb') },
        { ...policyDoc('sweep', { removal: [{ imageName: 'hm/*:*', deleteAfter: '1s' }] }), metadata: meta('sweep') },
      ] as never,
    });
    await store.close();

    await agent.start();
    const pid = agent.child!.pid!;
    const h = await health(agent.socket);
    expect(h.disabledPolicies).toEqual([{ name: 'bomb', reason: 'spec.keep: more than 1000 keep entries' }]);
    expect(h.safeMode.reason).toContain('policy bomb is disabled (over the cost budget');
    expect(agent.log).toContain('policy bomb is disabled: it is over the cost budget');
    expect((await agent.cli(['describe', 'policy', 'bomb'])).stdout).toContain('Applies to this node: no (disabled: over the cost budget: spec.keep: more than 1000 keep entries)');
    expect((await agent.cli(['version'])).stdout).toMatch(/Safe Mode: since .*policy bomb is disabled/);
    // the idle image that `sweep` would remove after 1 s stays while bomb's keep entries are unknown
    await new Promise((r) => setTimeout(r, 3000));
    const img = (await agent.json(['get', 'images', 'hm/idle:1', '-o', 'json'])) as { status: { state: string; protectedBy: string } };
    expect(img.status.state).toBe('idle');
    expect(img.status.protectedBy).toMatch(/^safe mode: policy bomb is disabled/);
    expect((await agent.cli(['rmi', 'hm/idle:1'])).code).toBe(1);
    expect(rss(pid)).toBeLessThan(400 * MB);

    // deleting it ends safe mode, and the sweep goes ahead
    expect((await agent.cli(['delete', 'imagepolicy', 'bomb'])).code).toBe(0);
    expect((await health(agent.socket)).safeMode).toBeNull();
    await waitFor('hm/idle:1 to be removed', async () => (await docker.listImages()).every((i) => !(i.RepoTags ?? []).includes('hm/idle:1')));
  });

  it('a glob with many wildcards against a long image name costs linear time: the agent keeps answering', async () => {
    const long = `hm/${'a'.repeat(200)}:1`;
    await buildFixture(docker, long);
    await agent.start();
    // minimatch's RegExp for this glob backtracks O(n^8) against 200 `a`s: the pass never ended
    const file = join(work, 'stars.yaml');
    writeFileSync(file, JSON.stringify(policyDoc('stars', { removal: [{ imageName: 'hm/a*a*a*a*a*a*a*a*c:*', deleteAfter: '1s' }] })));
    expect((await agent.cli(['apply', '-f', file])).code).toBe(0);
    const img = (await agent.json(['get', 'images', long, '-o', 'json'])) as { status: { rule: string | null; protectedBy: string } };
    expect(img.status.rule).toBeNull();
    expect(img.status.protectedBy).toBe('no rule matches');
    expect((await health(agent.socket)).passes).toBeGreaterThan(1);
  });
});

describe('a hostile --manifests directory (findings 4 and 10)', () => {
  const policyYaml = (name: string) => `apiVersion: imagectl.dev/v1alpha1\nkind: ImagePolicy\nmetadata:\n  name: ${name}\nspec:\n  removal:\n    - imageName: "hm/*:*"\n      deleteAfter: 1h\n`;
  const names = async () => ((await agent.json(['get', 'policies', '-o', 'json'])) as { items: { metadata: { name: string } }[] }).items.map((i) => i.metadata.name);

  it('a symlink that leaves the directory is not followed: refused and reported, the file it points to is never applied', async () => {
    const dir = mkdtempSync(join(work, 'gitops-'));
    const outside = mkdtempSync(join(work, 'root-only-'));
    writeFileSync(join(outside, 'stolen.yaml'), policyYaml('stolen'));
    writeFileSync(join(dir, 'good.yaml'), policyYaml('good'));
    symlinkSync(join(outside, 'stolen.yaml'), join(dir, 'out.yaml'));
    agent = new AgentProcess(stack, AgentProcess.tempStateDir(), ['--manifests', dir]);
    await agent.start();
    expect(await names()).not.toContain('stolen');
    const h = await health(agent.socket);
    expect(h.manifests.refused).toEqual([{ file: join(dir, 'out.yaml'), reason: 'a symlink that leaves the directory (not followed)' }]);
    expect(h.manifests.error).toContain(`${join(dir, 'out.yaml')}:1:1 refused: a symlink that leaves the directory`);
    expect(h.manifests.error).not.toContain(outside);
    expect((await agent.cli(['version'])).stdout).toContain(`Manifests refused: ${join(dir, 'out.yaml')}: a symlink that leaves the directory (not followed)`);
    expect(agent.log).toContain('manifests: an entry of the directory is refused');
    // a symlink that stays inside is read
    unlinkSync(join(dir, 'out.yaml'));
    writeFileSync(join(dir, '.inner.txt'), policyYaml('inner'));
    symlinkSync(join(dir, '.inner.txt'), join(dir, 'inner.yaml'));
    await waitFor('the directory to be applied', async () => (await names()).join() === 'good,inner');
    expect((await health(agent.socket)).manifests).toMatchObject({ error: null, refused: [] });
  });

  it('a FIFO, a symlink to one, and four FIFOs never wedge the watch nor hang get and apply; once gone, the directory is applied', async () => {
    const dir = mkdtempSync(join(work, 'gitops-'));
    writeFileSync(join(dir, 'good.yaml'), policyYaml('good'));
    for (const f of ['a.yaml', 'b.yaml', 'c.yaml', 'd.yaml']) execFileSync('mkfifo', [join(dir, f)]);
    symlinkSync(join(dir, 'a.yaml'), join(dir, 'e.yaml'));
    agent = new AgentProcess(stack, AgentProcess.tempStateDir(), ['--manifests', dir]);
    await agent.start();
    const h = await health(agent.socket);
    expect(h.manifests.refused.map((r: { file: string; reason: string }) => `${r.file.slice(dir.length + 1)} ${r.reason}`)).toEqual([
      'a.yaml a FIFO (only regular files are read)', 'b.yaml a FIFO (only regular files are read)', 'c.yaml a FIFO (only regular files are read)',
      'd.yaml a FIFO (only regular files are read)', 'e.yaml a FIFO (only regular files are read)',
    ]);
    // get and apply answer while the FIFOs are there (each waits on nothing)
    expect(await names()).toEqual([]);
    const other = join(work, 'other.yaml');
    writeFileSync(other, policyYaml('other'));
    expect((await agent.cli(['apply', '-f', other])).code).toBe(0);
    expect(await names()).toEqual(['other']);
    for (const f of ['a.yaml', 'b.yaml', 'c.yaml', 'd.yaml', 'e.yaml']) unlinkSync(join(dir, f));
    await waitFor('the directory to be applied once the FIFOs are gone', async () => (await names()).join() === 'good,other');
    expect((await health(agent.socket)).manifests).toMatchObject({ error: null, refused: [] });
  });
});
