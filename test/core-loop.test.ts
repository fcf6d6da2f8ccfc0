/**
 * The core loop end to end: the real CLI and agent against the test stack's real engine.
 * ImagePolicy → tracked images → timed, safe removal, with audit.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Dockerode from 'dockerode';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { stackInfo } from './stack/context.js';
import { buildFixture, dockerFor, emptyEngine, runContainer } from './stack/fixtures.js';
import { AgentProcess, runCli, waitFor } from './helpers/agent.js';

const stack = stackInfo();
let docker: Dockerode;
let agent: AgentProcess;
const manifests = mkdtempSync(join(tmpdir(), 'ictl-m-'));

function policy(name: string, rules: string, extra = ''): string {
  const file = join(manifests, `${name}.yaml`);
  writeFileSync(file, `apiVersion: imagectl.dev/v1alpha1\nkind: ImagePolicy\nmetadata:\n  name: ${name}\nspec:\n  removal:\n${rules}${extra}`);
  return file;
}
const rule = (imageName: string, deleteAfter: string, extra = '') => `    - imageName: "${imageName}"\n      deleteAfter: ${deleteAfter}\n${extra}`;

interface Item { metadata: { name: string }; status: { state: string; tags: string[]; lastUsedAt: string | null; rule: string | null; removeAt: string | null; protectedBy: string | null; agentDownloaded: boolean; sizeBytes: number; repoDigests: string[] } }
const images = async () => (await agent.json<{ kind: string; items: Item[] }>(['get', 'images', '-o', 'json']));
const byTag = async (tag: string) => (await images()).items.find((i) => i.status.tags.includes(tag));
const present = async (id: string) => docker.getImage(id).inspect().then(() => true, () => false);
const tagsOf = async (id: string) => (await docker.getImage(id).inspect()).RepoTags ?? [];
const auditOf = async (ref: string) => (await agent.cli(['audit', '--image', ref, '-o', 'json'])).stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as { time: string; from: string | null; to: string; event: string; reason: string; tags: string[]; image: string });

beforeAll(() => {
  docker = dockerFor(stack);
});
beforeEach(async () => {
  await emptyEngine(docker);
  agent = new AgentProcess(stack, AgentProcess.tempStateDir());
});
afterEach(() => agent.dispose());

describe('core loop on a real engine', () => {
  it('removes the unused image at its due time and never an image in use; a freed image follows', async () => {
    const a = await buildFixture(docker, 'fixture/a:1');
    const b = await buildFixture(docker, 'fixture/b:1');
    const c = await buildFixture(docker, 'fixture/c:1');
    const d = await buildFixture(docker, 'other/d:1');
    await runContainer(docker, 'fixture/a:1');
    const bc = await runContainer(docker, 'fixture/b:1', { start: false });
    await agent.start();
    const apply = await agent.cli(['apply', '-f', policy('fixture-cleanup', rule('fixture/*:*', '3s'))]);
    expect(apply.stderr).toBe('');
    expect(apply.stdout).toBe('imagepolicy/fixture-cleanup created\n');

    const list = await images();
    expect(list.kind).toBe('ImageList');
    const cItem = list.items.find((i) => i.metadata.name === c)!;
    expect(cItem.status).toMatchObject({ state: 'idle', rule: 'fixture-cleanup/removal[0]', agentDownloaded: false, protectedBy: null });
    expect(cItem.status.sizeBytes).toBeGreaterThan(0);
    const cLastUsed = Date.parse(cItem.status.lastUsedAt!);
    expect(Date.parse(cItem.status.removeAt!)).toBe(cLastUsed + 3000);
    expect(list.items.find((i) => i.metadata.name === a)!.status.state).toBe('in-use');
    expect(list.items.find((i) => i.metadata.name === b)!.status.state).toBe('in-use');
    expect(list.items.find((i) => i.metadata.name === d)!.status).toMatchObject({ state: 'idle', rule: null, protectedBy: 'no rule matches' });

    await waitFor('C to be removed', async () => !(await present(c)), 10_000, 50);
    const goneAt = Date.now();
    expect(goneAt - cLastUsed).toBeGreaterThanOrEqual(3000);
    const cHistory = await auditOf(c);
    const removed = cHistory.find((r) => r.to === 'removed')!;
    expect(Date.parse(removed.time) - cLastUsed).toBeGreaterThanOrEqual(3000);
    expect(Date.parse(removed.time) - cLastUsed).toBeLessThan(4500);
    expect(await present(a)).toBe(true);
    expect(await present(b)).toBe(true);
    expect(await present(d)).toBe(true);

    await bc.remove();
    const bIdle = await waitFor('B idle', async () => {
      const i = (await images()).items.find((x) => x.metadata.name === b);
      return i?.status.state === 'idle' ? i : undefined;
    }, 5000, 50);
    await waitFor('B to be removed', async () => !(await present(b)), 10_000, 50);
    const bRemoved = (await auditOf(b)).find((r) => r.to === 'removed')!;
    expect(Date.parse(bRemoved.time) - Date.parse(bIdle.status.lastUsedAt!)).toBeGreaterThanOrEqual(3000);
    expect(Date.parse(bRemoved.time) - Date.parse(bIdle.status.lastUsedAt!)).toBeLessThan(4500);

    // A stays in use: it is still there well past its would-be due time
    await new Promise((r) => setTimeout(r, 1500));
    expect(await present(a)).toBe(true);
    expect(await present(d)).toBe(true);
    expect((await byTag('fixture/a:1'))!.status.state).toBe('in-use');
  });

  it('agentDownloadedOnly: true spares a discovered image; the same rule with false removes it', async () => {
    const id = await buildFixture(docker, 'fixture/found:1');
    await agent.start();
    const file = policy('downloaded-only', rule('fixture/found:*', '1s', '      agentDownloadedOnly: true\n'));
    expect((await agent.cli(['apply', '-f', file])).code).toBe(0);
    await new Promise((r) => setTimeout(r, 2500));
    expect(await present(id)).toBe(true);
    expect((await byTag('fixture/found:1'))!.status).toMatchObject({ agentDownloaded: false, rule: null, protectedBy: 'no rule matches' });
    const desc = await agent.cli(['describe', 'image', 'fixture/found:1']);
    expect(desc.stdout).toContain('skipped downloaded-only/removal[0]: agentDownloadedOnly');

    const apply = await agent.cli(['apply', '-f', policy('downloaded-only', rule('fixture/found:*', '1s', '      agentDownloadedOnly: false\n'))]);
    expect(apply.stdout).toBe('imagepolicy/downloaded-only configured\n');
    await waitFor('the discovered image to be removed', async () => !(await present(id)), 5000, 50);
  });

  it('the most aggressive of two matching policies wins, and describe, plan and get name it', async () => {
    await agent.start();
    expect((await agent.cli(['apply', '-f', policy('slow', rule('fixture/*:*', '10s')), '-f', policy('fast', rule('fixture/both:*', '3s'))])).stdout)
      .toBe('imagepolicy/slow created\nimagepolicy/fast created\n');
    // the image appears after the policies, so its 3 s countdown starts now; read everything at once
    const id = await buildFixture(docker, 'fixture/both:1');
    const item = await waitFor('the agent to see the image', () => byTag('fixture/both:1'), 5000, 20);
    const [desc, plan, planText] = await Promise.all([
      agent.cli(['describe', 'image', 'fixture/both:1']),
      agent.json<{ items: { image: string; rule: string; when: string }[] }>(['plan', '-o', 'json']),
      agent.cli(['plan']),
    ]);
    expect(item.status.rule).toBe('fast/removal[0]');
    expect(Date.parse(item.status.removeAt!) - Date.parse(item.status.lastUsedAt!)).toBe(3000);
    expect(desc.stdout).toMatch(/Winning Rule:\s+fast\/removal\[0\]/);
    expect(desc.stdout.indexOf('fast/removal[0]')).toBeLessThan(desc.stdout.indexOf('slow/removal[0]'));
    expect(plan.items.find((i) => i.image === id)).toMatchObject({ rule: 'fast/removal[0]', when: 'later' });
    expect(planText.stdout).toContain('Remove later (1)');
    expect(planText.stdout).toContain('by fast/removal[0]');

    await waitFor('removal by the 3s rule', async () => !(await present(id)), 8000, 50);
    const removed = (await auditOf(id)).find((r) => r.to === 'removed')!;
    expect(Date.parse(removed.time) - Date.parse(item.status.lastUsedAt!)).toBeGreaterThanOrEqual(3000);
    expect(Date.parse(removed.time) - Date.parse(item.status.lastUsedAt!)).toBeLessThan(4500);
    expect(removed.reason).toContain('fast/removal[0]');
  });

  it('a countdown survives SIGKILL of the agent: the image goes at its original due time', async () => {
    const id = await buildFixture(docker, 'fixture/crash:1');
    await agent.start();
    // 12 s: room for a slow restart on a loaded machine, so the image is still listed when the agent is back
    await agent.cli(['apply', '-f', policy('crash', rule('fixture/crash:*', '12s'))]);
    const item = (await byTag('fixture/crash:1'))!;
    const due = Date.parse(item.status.removeAt!);
    await new Promise((r) => setTimeout(r, Math.max(0, Date.parse(item.status.lastUsedAt!) + 2000 - Date.now())));
    await agent.kill('SIGKILL');
    await new Promise((r) => setTimeout(r, 1000));
    expect(await present(id)).toBe(true);
    await agent.start();
    const after = (await byTag('fixture/crash:1'))!;
    expect(after.status.lastUsedAt).toBe(item.status.lastUsedAt);
    await waitFor('removal after the restart', async () => !(await present(id)), 20_000, 50);
    const removed = (await auditOf(id)).find((r) => r.to === 'removed')!;
    expect(Math.abs(Date.parse(removed.time) - due)).toBeLessThanOrEqual(1500);
    expect(Date.parse(removed.time)).toBeGreaterThanOrEqual(due);
  });

  it('audit -o json lists each image\'s transitions in order with reasons that name the rule', async () => {
    const id = await buildFixture(docker, 'fixture/audit:1');
    const ctr = await runContainer(docker, 'fixture/audit:1');
    await agent.start();
    await agent.cli(['apply', '-f', policy('audited', rule('fixture/audit:*', '1s'))]);
    await ctr.remove({ force: true });
    await waitFor('removal', async () => !(await present(id)), 8000, 50);
    const records = await auditOf('fixture/audit:1');
    expect(records.map((r) => `${r.from}->${r.to}`)).toEqual(['null->downloaded', 'downloaded->in-use', 'in-use->idle', 'idle->removable', 'removable->removed']);
    for (const r of records) expect(Object.keys(r)).toEqual(expect.arrayContaining(['time', 'image', 'tags', 'from', 'to', 'event', 'reason']));
    expect(records.every((r) => r.image === id)).toBe(true);
    expect(records[3]!.reason).toMatch(/^rule audited\/removal\[0\]: idle \d+(\.\d+)?s >= 1s$/);
    expect(records[4]!.reason).toContain('audited/removal[0]');
    const times = records.map((r) => Date.parse(r.time));
    expect([...times].sort((x, y) => x - y)).toEqual(times);
    const all = (await agent.cli(['audit', '-o', 'json'])).stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(all.filter((r: { image: string }) => r.image === id)).toHaveLength(5);
  });

  it('a second agent on the same state dir exits non-zero with a clear message; the first keeps working', async () => {
    await buildFixture(docker, 'fixture/lock:1');
    await agent.start();
    const same = await runCli(['agent', '--interval', '1s'], { env: agent.env });
    expect(same.code).not.toBe(0);
    expect(same.stderr).toMatch(/another imagectl agent \(pid \d+\) is already serving/);
    const otherSocket = join(AgentProcess.tempStateDir(), 's.sock');
    const other = await runCli(['agent', '--interval', '1s', '--socket', otherSocket], { env: agent.env });
    expect(other.code).not.toBe(0);
    expect(other.stderr).toMatch(/state directory .* is in use by another imagectl agent/);
    expect((await agent.cli(['apply', '-f', policy('still', rule('fixture/lock:*', '1h'))])).code).toBe(0);
    expect((await byTag('fixture/lock:1'))!.status.rule).toBe('still/removal[0]');
  });

  it('invalid manifests exit non-zero with file:line:col and change nothing', async () => {
    await agent.start();
    await agent.cli(['apply', '-f', policy('good', rule('fixture/*:*', '1h'))]);
    const before = (await agent.cli(['get', 'policies', '-o', 'json'])).stdout;
    const bad = {
      'missing-tag.yaml': [`removal:\n    - imageName: app\n      deleteAfter: 1m\n`, /missing-tag\.yaml:\d+:\d+ spec\.removal\[0\]\.imageName: .*tag required/],
      'unknown-field.yaml': [`removal:\n    - imageName: "app:*"\n      deleteAfter: 1m\n      color: red\n`, /unknown-field\.yaml:\d+:\d+ spec\.removal\[0\]\.color: unknown field/],
      'bad-duration.yaml': [`removal:\n    - imageName: "app:*"\n      deleteAfter: soon\n`, /bad-duration\.yaml:\d+:\d+ spec\.removal\[0\]\.deleteAfter: invalid duration/],
      'broken.yaml': [`removal: [\n    - imageName: "app:*"\n`, /broken\.yaml:\d+:\d+/],
    } as const;
    for (const [file, [body, re]] of Object.entries(bad)) {
      const path = join(manifests, file);
      writeFileSync(path, `apiVersion: imagectl.dev/v1alpha1\nkind: ImagePolicy\nmetadata:\n  name: bad\nspec:\n  ${body}`);
      const r = await agent.cli(['apply', '-f', policy('also-good', rule('x:*', '1m')), '-f', path]);
      expect(r.code, file).not.toBe(0);
      expect(r.stderr, file).toMatch(re);
      expect(r.stdout, file).toBe('');
    }
    expect((await agent.cli(['get', 'policies', '-o', 'json'])).stdout).toBe(before);
  });

  it('a multi-tag image is removed completely when unused, and keeps both tags while a created container uses one', async () => {
    const id = await buildFixture(docker, 'fixture/multi:a');
    await docker.getImage(id).tag({ repo: 'fixture/multi', tag: 'b' });
    const ctr = await runContainer(docker, 'fixture/multi:a', { start: false });
    await agent.start();
    await agent.cli(['apply', '-f', policy('multi', rule('fixture/multi:*', '1s'))]);
    await new Promise((r) => setTimeout(r, 2500));
    expect((await tagsOf(id)).sort()).toEqual(['fixture/multi:a', 'fixture/multi:b']);
    expect((await byTag('fixture/multi:a'))!.status.state).toBe('in-use');

    await ctr.remove();
    await waitFor('the multi-tag image to be removed', async () => !(await present(id)), 8000, 50);
    const left = await docker.listImages();
    expect(left.flatMap((i) => i.RepoTags ?? []).filter((t) => t.startsWith('fixture/multi'))).toEqual([]);
    const removed = (await auditOf(id)).find((r) => r.to === 'removed')!;
    expect(removed.reason).toMatch(/removed fixture\/multi:[ab] after untagging fixture\/multi:[ab]/);
  });
});
