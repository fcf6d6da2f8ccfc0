/**
 * Disk pressure on a real engine whose data root is a small filesystem: the stack's own dockerd
 * gets a 200 MiB tmpfs as its --data-root (unmounted at the end), the agent measures it with statfs
 * as it would /var/lib/docker, and the tests fill it with files the engine knows nothing about.
 * Images of known size: busybox plus a file of random bytes (docker import); images that share
 * layers: docker commit of a container on a base image (never started, network none), pushed to
 * the stack's registry and pulled back. This file starts that stack of its own.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type Dockerode from 'dockerode';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AgentProcess, waitFor } from './helpers/agent.js';
import { auditOf, fillTo, fsNow, images, metricsOf, pressureRemovals, removeFillers, untilImage } from './helpers/disk.js';
import { buildFixture, commitFixture, dockerFor, emptyEngine, followProgress, pushFixture, runContainer } from './stack/fixtures.js';
import { ensurePackages, startStack, type Stack } from './stack/stack.js';

const MB = 1e6;
let stack: Stack;
let docker: Dockerode;
let agent: AgentProcess | undefined;
const dir = mkdtempSync(join(tmpdir(), 'ictl-disk-'));

beforeAll(async () => {
  await ensurePackages();
  stack = await startStack({ dataRootTmpfs: '200m' });
  docker = dockerFor(stack);
}, 180_000);
afterAll(async () => {
  await agent?.dispose();
  await stack?.stop();
  rmSync(dir, { recursive: true, force: true });
});
afterEach(async () => {
  await agent?.dispose();
  agent = undefined;
  await emptyEngine(docker);
  removeFillers(stack.dataRoot);
});

async function startAgent(stateDir = AgentProcess.tempStateDir()): Promise<AgentProcess> {
  agent = new AgentProcess(stack, stateDir);
  await agent.start();
  return agent;
}

let files = 0;
async function apply(doc: object, a = agent!): Promise<void> {
  const file = join(dir, `m${++files}.json`);
  writeFileSync(file, JSON.stringify(doc));
  const r = await a.cli(['apply', '-f', file]);
  expect(r.code, r.stderr).toBe(0);
}
const policy = (name: string, spec: object) => ({ apiVersion: 'imagectl.dev/v1alpha1', kind: 'ImagePolicy', metadata: { name }, spec });
const workload = (name: string, spec: object) => ({ apiVersion: 'imagectl.dev/v1alpha1', kind: 'Workload', metadata: { name }, spec: { command: ['/bin/busybox', 'sleep', '3600'], ...spec } });

/** Import `ref` and wait until the agent has seen it idle, so each image's lastUsedAt is its own moment. */
async function seen(ref: string, blobBytes = 0): Promise<string> {
  const id = await buildFixture(docker, ref, { blobBytes });
  await untilImage(agent!, ref);
  await new Promise((r) => setTimeout(r, 30));
  return id;
}

/** A container on `ref`, seen in use by the agent, then removed and seen idle: the image was just used. */
async function use(ref: string): Promise<void> {
  const c = await runContainer(docker, ref, { start: false });
  await untilImage(agent!, ref, 'in-use');
  await c.remove({ force: true });
  await untilImage(agent!, ref, 'idle');
}

/** A pull by the engine alone (not through the agent): the image is discovered. */
const pullDirect = async (ref: string) => followProgress(docker, await docker.pull(ref, { authconfig: {} }));

/** Build `ref` with `blobBytes` more, push it to the stack's registry and remove it here: only the registry has it. */
async function published(ref: string, blobBytes: number, zeros = false): Promise<void> {
  await buildFixture(docker, ref, { blobBytes, zeros });
  await pushFixture(docker, ref);
  await docker.getImage(ref).remove();
}

const present = async (ref: string) => docker.getImage(ref).inspect().then(() => true, (e: { statusCode?: number }) => (e.statusCode === 404 ? false : Promise.reject(e)));
const tagOf = (a: { tags: string[] }) => a.tags[0];

describe('disk pressure on a 200 MiB data root', () => {
  it('filling the disk past the high threshold removes least recently used candidates until it is below the low one, in order, and nothing in use, kept, workload-referenced or unmatched', async () => {
    const a = await startAgent();
    const R = stack.registry;
    await apply(policy('disk', {
      removal: [{ imageName: 'disk/*:*', deleteAfter: '30d' }, { imageName: '*/disk/*:*', deleteAfter: '30d' }],
      keep: ['disk/keep:*'],
      diskPressure: { highThresholdPercent: 60, lowThresholdPercent: 50, minAge: '0s' },
    }));
    // the protected ones, small: in use, kept, referenced by a Workload (its registry has no such
    // image, so the Workload fails and runs no container: the image is idle, and still protected),
    // matched by no rule
    await seen('disk/used:1');
    await runContainer(docker, 'disk/used:1', { start: false });
    await seen('disk/keep:1');
    await seen(`${R}/disk/wl:1`);
    await apply(workload('wl', { image: `${R}/disk/wl:1`, imagePullPolicy: 'Always' }));
    await seen('other/unmatched:1');
    // the candidates, 15 MB each, seen in the order a, b, c; then a is used: least recent is b, c, a
    await seen('disk/a:1', 15 * MB);
    await seen('disk/b:1', 15 * MB);
    await seen('disk/c:1', 15 * MB);
    await use('disk/a:1');
    await waitFor('the workload to fail on its missing image', async () => (await a.json<{ status: { phase: string } }>(['get', 'workload', 'wl', '-o', 'json'])).status.phase === 'Failed');
    const wl = (await images(a)).find((i) => i.status.tags.includes(`${R}/disk/wl:1`))!;
    expect(wl.status).toMatchObject({ state: 'idle', protectedBy: 'workload wl' });

    fillTo(stack.dataRoot, 61);
    await waitFor('usage below the low threshold', async () => fsNow(stack.dataRoot).usedPercent < 50 && (await pressureRemovals(a)).length >= 2, 30_000);
    await new Promise((r) => setTimeout(r, 2_500)); // two more passes: nothing else goes
    const removed = await pressureRemovals(a);
    expect(removed.map(tagOf)).toEqual(['disk/b:1', 'disk/c:1']);
    for (const r of removed) {
      expect(r.reason).toMatch(new RegExp(`^disk pressure: ${stack.dataRoot} 6\\d(\\.\\d)?% >= 60% \\(target 50%(; now 5\\d(\\.\\d)?%)?\\), least recently used; frees 1[67](\\.\\d)?MB; removed disk/[bc]:1$`));
      expect(r.actor).toBe('agent');
      expect(r.freedBytes).toBeGreaterThan(15 * MB);
    }
    // one removal was not enough (still >= 50% after b), two were: no extra removal
    expect(fsNow(stack.dataRoot).usedPercent).toBeLessThan(50);
    expect(fsNow(stack.dataRoot).usedPercent + removed[1]!.freedBytes! / fsNow(stack.dataRoot).totalBytes * 100).toBeGreaterThanOrEqual(50);
    expect(await present('disk/a:1')).toBe(true);

    // past high again, with more to free than the candidates hold: a goes, and nothing protected
    fillTo(stack.dataRoot, 90);
    await waitFor('a removed for space', async () => (await pressureRemovals(a)).length === 3, 30_000);
    await new Promise((r) => setTimeout(r, 2_500));
    const removedAll = await pressureRemovals(a);
    expect(removedAll.map(tagOf)).toEqual(['disk/b:1', 'disk/c:1', 'disk/a:1']);
    for (const ref of ['disk/used:1', 'disk/keep:1', `${R}/disk/wl:1`, 'other/unmatched:1']) expect(await present(ref), ref).toBe(true);
    expect(fsNow(stack.dataRoot).usedPercent).toBeGreaterThan(60);
    expect(a.log).toMatch(/disk pressure: no more candidates/);
    const plan = await a.json<{ disk: Record<string, unknown> }>(['plan', '-o', 'json']);
    expect(plan.disk).toMatchObject({ path: stack.dataRoot, highThresholdPercent: 60, lowThresholdPercent: 50, underPressure: true, wouldRemove: [] });
    expect((await a.cli(['plan'])).stdout).toMatch(new RegExp(`^Disk: ${stack.dataRoot} \\d+(\\.\\d)?% used \\(high 60%, low 50%\\): under pressure\\n`));
    // the metrics say the same: three removals for disk, the budget's thresholds, the pressure
    const m = await metricsOf(a);
    expect(m.value('imagectl_removals_total{reason="disk"}')).toBe(3);
    expect(m.value('imagectl_removals_total{reason="age"}')).toBe(0);
    expect(m.value('imagectl_reclaimed_bytes_total')).toBe(removedAll.reduce((n, r) => n + r.freedBytes!, 0));
    expect(m.value('imagectl_disk_threshold_ratio{policy="disk",threshold="high"}')).toBe(0.6);
    expect(m.value('imagectl_disk_threshold_ratio{policy="disk",threshold="low"}')).toBe(0.5);
    expect(m.value('imagectl_disk_pressure{policy="disk"}')).toBe(1);
    expect(m.value(`imagectl_disk_used_ratio{path="${stack.dataRoot}"}`)).toBeGreaterThan(0.6);
    const check = spawnSync('promtool', ['check', 'metrics'], { input: m.text, encoding: 'utf8' });
    expect([check.status, check.stdout, check.stderr]).toEqual([0, '', '']);
  }, 120_000);

  it('minAge holds; an agent restart in the middle keeps the order (persisted lastUsedAt)', async () => {
    const stateDir = AgentProcess.tempStateDir();
    let a = await startAgent(stateDir);
    const budget = (minAge: string) => policy('disk', { removal: [{ imageName: 'disk/*:*', deleteAfter: '30d' }], diskPressure: { highThresholdPercent: 60, lowThresholdPercent: 50, minAge } });
    await apply(budget('1h'));
    // least recently used first: x, y, z. Were lastUsedAt forgotten (every image "seen now"), the
    // tie would go to the larger unique size: z (30 MB) before y (25 MB)
    await seen('disk/x:1', 35 * MB);
    await seen('disk/y:1', 25 * MB);
    await seen('disk/z:1', 30 * MB);
    fillTo(stack.dataRoot, 61);
    await new Promise((r) => setTimeout(r, 3_000)); // three resyncs under pressure
    expect(await pressureRemovals(a)).toEqual([]);
    const plan = await a.json<{ disk: { underPressure: boolean; wouldRemove: string[] } }>(['plan', '-o', 'json']);
    expect(plan.disk).toMatchObject({ underPressure: true, wouldRemove: [] });
    expect((await a.cli(['describe', 'image', 'disk/x:1'])).stdout).toMatch(/Eviction Order: +not a candidate for disk space \(idle [\d.ms]+, less than minAge 1h0m0s\)/);

    await apply(budget('0s'));
    await waitFor('x removed for space', async () => (await pressureRemovals(a)).length === 1, 30_000);
    expect((await pressureRemovals(a)).map(tagOf)).toEqual(['disk/x:1']);
    const before = (await images(a)).filter((i) => i.status.tags[0]?.startsWith('disk/')).map((i) => [i.status.tags[0], i.status.lastUsedAt]);

    // SIGKILL mid-way, start again on the same store: the order stays y, then z
    await a.kill('SIGKILL');
    a = await startAgent(stateDir);
    expect((await images(a)).filter((i) => i.status.tags[0]?.startsWith('disk/')).map((i) => [i.status.tags[0], i.status.lastUsedAt])).toEqual(before);
    expect((await a.cli(['describe', 'image', 'disk/y:1'])).stdout).toMatch(/Eviction Order: +1 of 2 candidates for disk space/);
    fillTo(stack.dataRoot, 61);
    await waitFor('y removed for space', async () => (await pressureRemovals(a)).length === 2, 30_000);
    await new Promise((r) => setTimeout(r, 2_000));
    expect((await pressureRemovals(a)).map(tagOf)).toEqual(['disk/x:1', 'disk/y:1']);
    expect(await present('disk/z:1')).toBe(true);
  }, 120_000);

  it('no extra removal when one image frees far more than its size says: the next one, written ahead, is taken back', async () => {
    const a = await startAgent();
    await apply(policy('disk', { removal: [{ imageName: 'disk/*:*', deleteAfter: '30d' }], diskPressure: { highThresholdPercent: 55, lowThresholdPercent: 50, minAge: '0s' } }));
    // 8000 one-byte files: a few kB by the image's size, a block each (~35 MB) on the tmpfs
    await buildFixture(docker, 'disk/tiny-files:1', { tinyFiles: 8000 });
    await untilImage(a, 'disk/tiny-files:1');
    await new Promise((r) => setTimeout(r, 30));
    await seen('disk/next:1', 15 * MB);
    await seen('disk/last:1', 15 * MB);
    fillTo(stack.dataRoot, 56);
    await waitFor('tiny-files removed for space', async () => (await pressureRemovals(a)).length >= 1, 30_000);
    await new Promise((r) => setTimeout(r, 2_500));
    expect((await pressureRemovals(a)).map(tagOf)).toEqual(['disk/tiny-files:1']);
    expect(await present('disk/next:1')).toBe(true);
    expect(fsNow(stack.dataRoot).usedPercent).toBeLessThan(50);
    const next = (await auditOf(a)).filter((r) => r.tags.includes('disk/next:1'));
    expect(next.map((r) => `${r.from} -> ${r.to}`)).toEqual(['null -> downloaded', 'downloaded -> idle', 'idle -> removable', 'removable -> idle']);
    expect(next.at(-1)!).toMatchObject({ event: 'remove_cancelled', reason: 'disk pressure: the target was reached before its turn; not removed' });
    expect((await images(a)).find((i) => i.status.tags.includes('disk/next:1'))!.status.state).toBe('idle');
  }, 120_000);

  it('the byte form counts shared layers once: two images sharing a 10 MB base free it only when both go', async () => {
    const a = await startAgent();
    const R = stack.registry;
    // c1 and c2 share a base layer (busybox + 10 MB); pulled from the registry they are two images
    // with no parent image between them
    const base = await buildFixture(docker, `${R}/disk/base:1`, { blobBytes: 10 * MB });
    await commitFixture(docker, base, `${R}/disk/c1:1`, 1 * MB);
    await commitFixture(docker, base, `${R}/disk/c2:1`, 2 * MB);
    for (const r of ['c1', 'c2']) await pushFixture(docker, `${R}/disk/${r}:1`);
    for (const r of ['c1', 'c2', 'base']) await docker.getImage(`${R}/disk/${r}:1`).remove();
    for (const r of ['c1', 'c2']) {
      await pullDirect(`${R}/disk/${r}:1`);
      await untilImage(a, `${R}/disk/${r}:1`);
      await new Promise((r2) => setTimeout(r2, 30));
    }
    await seen('disk/u:1', 5 * MB);
    const df = (await docker.df()) as { LayersSize: number };
    await apply(policy('bytes', { removal: [{ imageName: '*/disk/*:*', deleteAfter: '30d' }, { imageName: 'disk/*:*', deleteAfter: '30d' }], diskPressure: { maxImageBytes: df.LayersSize - 1 * MB, targetImageBytes: df.LayersSize - 4 * MB, minAge: '1h' } }));
    // unique sizes: the shared base is in neither
    const unique = Object.fromEntries((await images(a)).map((i) => [i.status.tags[0], i.status.uniqueSizeBytes]));
    expect(unique[`${R}/disk/c1:1`]).toBeGreaterThan(0.9 * MB);
    expect(unique[`${R}/disk/c1:1`]).toBeLessThan(1.5 * MB);
    expect(unique[`${R}/disk/c2:1`]).toBeLessThan(2.5 * MB);
    expect((await a.cli(['get', 'images', '-o', 'wide'])).stdout).toMatch(/UNIQUE SIZE/);
    const plan = await a.json<{ disk: Record<string, unknown> }>(['plan', '-o', 'json']);
    expect(plan.disk).toMatchObject({ imageBytes: df.LayersSize, maxImageBytes: df.LayersSize - 1 * MB, targetImageBytes: df.LayersSize - 4 * MB, underPressure: true });
    expect(plan.disk.usedPercent).toBeUndefined();

    // 4 MB to free: c1 frees 1 MB, and c2 then frees 2 MB plus the base it no longer shares
    await apply(policy('bytes', { removal: [{ imageName: '*/disk/*:*', deleteAfter: '30d' }, { imageName: 'disk/*:*', deleteAfter: '30d' }], diskPressure: { maxImageBytes: df.LayersSize - 1 * MB, targetImageBytes: df.LayersSize - 4 * MB, minAge: '0s' } }));
    await waitFor('c1 and c2 removed for space', async () => (await pressureRemovals(a)).length === 2, 30_000);
    await new Promise((r) => setTimeout(r, 2_000));
    const removed = await pressureRemovals(a);
    expect(removed.map(tagOf)).toEqual([`${R}/disk/c1:1`, `${R}/disk/c2:1`]);
    expect(removed[0]!.freedBytes).toBeLessThan(1.5 * MB);
    expect(removed[1]!.freedBytes).toBeGreaterThan(12 * MB);
    expect(removed[0]!.reason).toMatch(/^disk pressure: images [\d.]+MB > [\d.]+MB \(target [\d.]+MB\), least recently used; frees 1(\.\d+)?MB/);
    expect(await present('disk/u:1')).toBe(true);
  }, 120_000);
});

describe('disk budgets that are wrong', () => {
  it('bad input (thresholds out of range, low >= high, both forms, negative minAge): clear errors with file:line:col, nothing applied', async () => {
    const a = await startAgent();
    await apply(policy('good', { removal: [{ imageName: 'disk/*:*', deleteAfter: '30d' }], diskPressure: {} }));
    const listed = async () => (await a.cli(['get', 'policies', '-o', 'json'])).stdout;
    const before = await listed();
    const corpus = resolve(import.meta.dirname, 'bad-input');
    const cases: [string, RegExp][] = [
      ['disk-threshold-out-of-range.yaml', /disk-threshold-out-of-range\.yaml:8:5 spec\.diskPressure\.highThresholdPercent: must be at most 99, got 120\n.*:9:5 spec\.diskPressure\.lowThresholdPercent: must be at least 1, got 0/],
      ['disk-low-not-below-high.yaml', /disk-low-not-below-high\.yaml:9:5 spec\.diskPressure\.lowThresholdPercent: lowThresholdPercent 85 must be below highThresholdPercent 80/],
      ['disk-both-forms.yaml', /disk-both-forms\.yaml:7:3 spec\.diskPressure: set one form of disk budget, not both/],
      ['disk-negative-min-age.yaml', /disk-negative-min-age\.yaml:8:5 spec\.diskPressure\.minAge: duration "-10m" is negative: minAge must be zero or more/],
    ];
    for (const [file, want] of cases) {
      const path = join(corpus, file);
      // the good policy in the same set: all or nothing
      const set = join(dir, `set-${file}`);
      writeFileSync(set, `${readFileSync(path, 'utf8')}---\n${JSON.stringify(policy('also-good', { removal: [{ imageName: 'x:*', deleteAfter: '1h' }] }))}\n`);
      const r = await a.cli(['apply', '-f', set]);
      expect(r.code, file).not.toBe(0);
      expect(r.stderr, file).toMatch(want);
      expect(r.stdout, file).toBe('');
    }
    expect(await listed()).toBe(before);
  }, 60_000);
});

describe('room before a pull on a 200 MiB data root', () => {
  it('a Workload whose image does not fit gets room made first; one that cannot fit fails with InsufficientDisk and changes nothing else', async () => {
    const R = stack.registry;
    await published(`${R}/disk/app:2`, 30 * MB);
    await published(`${R}/disk/huge:1`, 120 * MB);
    const a = await startAgent();
    await apply(policy('disk', { removal: [{ imageName: 'disk/*:*', deleteAfter: '30d' }], diskPressure: { highThresholdPercent: 80, lowThresholdPercent: 70, minAge: '0s' } }));
    await seen('disk/old1:1', 20 * MB);
    await seen('disk/old2:1', 20 * MB);
    // 55% used: not under pressure, but 55% + need (2 × ~31 MB of compressed layers) would pass 80%
    fillTo(stack.dataRoot, 55);
    await apply(workload('app', { image: `${R}/disk/app:2`, imagePullPolicy: 'IfNotPresent' }));
    await waitFor('app running', async () => (await a.json<{ status: { phase: string } }>(['get', 'workload', 'app', '-o', 'json'])).status.phase === 'Running', 60_000);
    const removed = await pressureRemovals(a);
    expect(removed.map(tagOf)).toEqual(['disk/old1:1']);
    expect(removed[0]!.reason).toMatch(new RegExp(`^disk pressure: room for the pull of ${R}/disk/app:2 \\(needs 6\\d(\\.\\d)?MB\\): ${stack.dataRoot} 8\\d(\\.\\d)?% >= 80% \\(target 70%\\), least recently used; frees 22MB`));
    expect(await present('disk/old2:1')).toBe(true);
    expect(fsNow(stack.dataRoot).usedPercent).toBeLessThan(80);

    // 2 × 121 MB cannot fit a 200 MiB filesystem whatever is removed: refused at once, nothing removed, nothing downloaded
    const before = (await images(a)).map((i) => i.metadata.name).sort();
    await apply(workload('huge', { image: `${R}/disk/huge:1`, imagePullPolicy: 'IfNotPresent' }));
    const huge = await waitFor('huge failed', async () => {
      const w = await a.json<{ status: { phase: string; reason: string; message: string } }>(['get', 'workload', 'huge', '-o', 'json']);
      return w.status.phase === 'Failed' && w;
    }, 30_000);
    expect(huge.status.reason).toBe('InsufficientDisk');
    expect(huge.status.message).toMatch(/^InsufficientDisk: the pull of .*\/disk\/huge:1 needs 24\dMB and .* available and removing every candidate for space \(1\) would free only 22MB; nothing was downloaded/);
    const pulled = await a.cli(['pull', `${R}/disk/huge:1`]);
    expect(pulled.code).toBe(1);
    expect(pulled.stderr).toMatch(/InsufficientDisk/);
    const archive = join(dir, 'big.tar');
    writeFileSync(archive, Buffer.alloc(150 * MB));
    const loaded = await a.cli(['pull', '--archive', archive]);
    expect(loaded.code).toBe(1);
    expect(loaded.stderr).toMatch(/InsufficientDisk: the load of .* needs 150MB/);
    expect(await present(`${R}/disk/huge:1`)).toBe(false);
    expect((await images(a)).map((i) => i.metadata.name).sort()).toEqual(before);
    expect((await pressureRemovals(a)).length).toBe(1);
    expect(await present('disk/old2:1')).toBe(true);
  }, 180_000);

  it('a pull that runs out of space anyway is DiskFull: space is freed, and the pull is tried once more', async () => {
    const R = stack.registry;
    // 100 MB of zeros: a few kB to download (so room is made for next to nothing), 100 MB once extracted
    await published(`${R}/disk/zeros:1`, 100 * MB, true);
    // no periodic resync: a pass during the extraction would see the pressure the pull itself makes
    // and remove for it before the pull runs out of space (right, and not what this test is about)
    agent = new AgentProcess(stack, AgentProcess.tempStateDir(), ['--interval', '1h']);
    const a = agent;
    await a.start();
    await apply(policy('disk', { removal: [{ imageName: 'disk/*:*', deleteAfter: '30d' }], diskPressure: { highThresholdPercent: 90, lowThresholdPercent: 40, minAge: '0s' } }));
    await seen('disk/old3:1', 30 * MB);
    await seen('disk/old4:1', 30 * MB);
    fillTo(stack.dataRoot, 60);
    const r = await a.cli(['pull', `${R}/disk/zeros:1`]);
    expect(r.code, r.stderr).toBe(0);
    expect(await present(`${R}/disk/zeros:1`)).toBe(true);
    const removed = await pressureRemovals(a);
    expect(removed.map(tagOf)).toEqual(['disk/old3:1', 'disk/old4:1']);
    expect(removed[0]!.reason).toMatch(new RegExp(`^disk pressure: DiskFull: a pull of ${R}/disk/zeros:1 ran out of space: `));
    expect(a.log).toMatch(/DiskFull: the pull ran out of disk space/);
  }, 180_000);
});
