/**
 * Prometheus metrics of a real agent on the real engine and registry: after it removed an image by
 * age and one by rmi, pulled one and failed one pull, the scrape says so, value by value; the
 * metrics port serves only /metrics and only with its token; the API socket serves /metrics too;
 * `promtool check metrics` accepts the output, and `promtool check rules` / `test rules` accept the
 * example alert rules in manifests/prometheus/.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type Dockerode from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentProcess, waitFor } from './helpers/agent.js';
import { stackInfo } from './stack/context.js';
import { buildFixture, dockerFor, emptyEngine, pushFixture, runContainer } from './stack/fixtures.js';

const stack = stackInfo();
const dir = mkdtempSync(join(tmpdir(), 'ictl-metrics-'));
const RULES = resolve(import.meta.dirname, '../manifests/prometheus');
const TOKEN = 'metrics-token-0123456789abcdef';
let docker: Dockerode;
let agent: AgentProcess;
let port: number;

function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const s = net.createServer().on('error', fail);
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => done(p));
    });
  });
}

function get(o: http.RequestOptions): Promise<{ status: number; type: string; body: string }> {
  return new Promise((done, fail) => {
    http.get(o, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => done({ status: res.statusCode ?? 0, type: String(res.headers['content-type']), body }));
    }).on('error', fail);
  });
}

const scrape = (path = '/metrics', token: string | null = TOKEN) => get({ host: '127.0.0.1', port, path, headers: token ? { authorization: `Bearer ${token}` } : {} });

/** The value of one series in exposition text, e.g. `imagectl_removals_total{reason="age"}`. */
function value(text: string, series: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  if (!line) throw new Error(`no series ${series} in:\n${text}`);
  return Number(line.slice(series.length + 1));
}

interface Item { metadata: { name: string }; status: { state: string; tags: string[]; sizeBytes: number; lastUsedAt: string | null } }

beforeAll(async () => {
  docker = dockerFor(stack);
  await emptyEngine(docker);
  port = await freePort();
  const tokenFile = join(dir, 'token');
  writeFileSync(tokenFile, `${TOKEN}\n`, { mode: 0o600 });
  agent = new AgentProcess(stack, AgentProcess.tempStateDir(), ['--metrics-listen', `127.0.0.1:${port}`, '--metrics-token-file', tokenFile]);
  await agent.start();
});

afterAll(async () => {
  await agent?.dispose();
  rmSync(dir, { recursive: true, force: true });
});

describe('metrics of a real agent', () => {
  it('count what it removed, pulled and holds, and pass promtool check metrics', async () => {
    const old = await buildFixture(docker, 'fixture/m-old:1');
    await buildFixture(docker, 'fixture/m-busy:1');
    await runContainer(docker, 'fixture/m-busy:1');
    const remote = `${stack.registry}/fixture/m-pull:1`;
    await buildFixture(docker, remote);
    await pushFixture(docker, remote);
    await docker.getImage(remote).remove();
    await waitFor('the agent to see the fixtures', async () => (await agent.cli(['get', 'images', 'fixture/m-busy:1'])).code === 0 && (await agent.cli(['get', 'images', 'fixture/m-old:1'])).code === 0);
    const before = (await agent.json<{ items: Item[] }>(['get', 'images', '-o', 'json'])).items;
    const oldSize = before.find((i) => i.metadata.name === old)!.status.sizeBytes;
    const busy = before.find((i) => i.status.tags.includes('fixture/m-busy:1'))!;

    expect((await agent.cli(['pull', remote])).code).toBe(0);
    expect((await agent.cli(['pull', `${stack.registry}/fixture/m-absent:1`])).code).toBe(1);
    const pulled = (await agent.json<Item>(['get', 'images', remote, '-o', 'json']));
    expect((await agent.cli(['rmi', remote])).code).toBe(0);
    const file = join(dir, 'old.yaml');
    writeFileSync(file, 'apiVersion: imagectl.dev/v1alpha1\nkind: ImagePolicy\nmetadata: {name: m-old}\nspec:\n  removal: [{imageName: "fixture/m-old:*", deleteAfter: 1s}]\n');
    expect((await agent.cli(['apply', '-f', file])).code).toBe(0);
    await waitFor('fixture/m-old:1 to be removed', () => docker.getImage(old).inspect().then(() => false, () => true));
    const audit = (await agent.cli(['audit', '--image', old, '-o', 'json'])).stdout.trim().split('\n').map((l) => JSON.parse(l) as { time: string; to: string });
    const removedAt = Date.parse(audit.find((r) => r.to === 'removed')!.time);
    const gone = (await agent.json<{ items: Item[] }>(['get', 'images', '-A', '-o', 'json'])).items.find((i) => i.metadata.name === old)!;
    const now = (await agent.json<{ items: Item[] }>(['get', 'images', '-o', 'json'])).items;

    const m = await scrape();
    expect(m.status).toBe(200);
    expect(m.type).toMatch(/^text\/plain; version=0\.0\.4/);
    const t = m.body;
    expect(value(t, 'imagectl_removals_total{reason="age"}')).toBe(1);
    expect(value(t, 'imagectl_removals_total{reason="manual"}')).toBe(1);
    expect(value(t, 'imagectl_removals_total{reason="disk"}')).toBe(0);
    expect(value(t, 'imagectl_reclaimed_bytes_total')).toBe(oldSize + pulled.status.sizeBytes);
    expect(value(t, 'imagectl_removal_lateness_seconds_count')).toBe(1);
    // seconds past due: removed at the audit's time, due 1 s after the image was last used
    expect(value(t, 'imagectl_removal_lateness_seconds_sum')).toBeCloseTo((removedAt - (Date.parse(gone.status.lastUsedAt!) + 1000)) / 1000, 3);
    expect(value(t, 'imagectl_pulls_total{result="success"}')).toBe(1);
    expect(value(t, 'imagectl_pulls_total{result="failure"}')).toBe(1);
    expect(value(t, 'imagectl_removal_failures_total{reason="in_use"}')).toBe(0);
    expect(value(t, 'imagectl_removal_failures_total{reason="error"}')).toBe(0);
    expect(value(t, 'imagectl_images{state="in-use"}')).toBe(1);
    expect(value(t, 'imagectl_images{state="idle"}')).toBe(now.filter((i) => i.status.state === 'idle').length);
    expect(value(t, 'imagectl_image_bytes{state="in-use"}')).toBe(busy.status.sizeBytes);
    expect(value(t, 'imagectl_engine_up')).toBe(1);
    expect(value(t, 'imagectl_safe_mode')).toBe(0);
    expect(value(t, 'imagectl_reconcile_duration_seconds_count')).toBeGreaterThan(0);
    expect(value(t, 'imagectl_reconcile_errors_total{kind="engine"}')).toBe(0);
    expect(value(t, 'imagectl_reconcile_last_success_timestamp_seconds')).toBeGreaterThan(Date.parse(audit[0]!.time) / 1000);
    // the engine's data root, measured as the agent measures it
    const root = ((await docker.info()) as { DockerRootDir: string }).DockerRootDir;
    const fs = statfsSync(root);
    expect(value(t, `imagectl_disk_used_ratio{path="${root}"}`)).toBeCloseTo((fs.blocks - fs.bavail) / fs.blocks, 1);

    const check = spawnSync('promtool', ['check', 'metrics'], { input: t, encoding: 'utf8' });
    expect([check.status, check.stdout, check.stderr]).toEqual([0, '', '']);
  });

  it('count workloads by phase, and the pulls workloads make', async () => {
    const remote = `${stack.registry}/fixture/m-wl:1`;
    await buildFixture(docker, remote);
    await pushFixture(docker, remote);
    await docker.getImage(remote).remove();
    const pullsBefore = value((await scrape()).body, 'imagectl_pulls_total{result="success"}');
    const file = join(dir, 'wl.yaml');
    writeFileSync(file, `apiVersion: imagectl.dev/v1alpha1\nkind: Workload\nmetadata: {name: m-run}\nspec: {image: "${remote}", imagePullPolicy: IfNotPresent, command: ["/bin/busybox", "sleep", "3600"]}\n---\napiVersion: imagectl.dev/v1alpha1\nkind: Workload\nmetadata: {name: m-fail}\nspec: {image: "fixture/m-none:1", imagePullPolicy: Never}\n`);
    expect((await agent.cli(['apply', '-f', file])).code).toBe(0);
    expect((await agent.cli(['wait', '--for=condition=Ready', 'workload/m-run', '--timeout', '60s'])).code).toBe(0);
    expect((await agent.cli(['wait', '--for=jsonpath={.status.phase}=Failed', 'workload/m-fail', '--timeout', '60s'])).code).toBe(0);
    const t = (await scrape()).body;
    expect([value(t, 'imagectl_workloads{phase="Running"}'), value(t, 'imagectl_workloads{phase="Failed"}'), value(t, 'imagectl_workloads{phase="Pending"}')]).toEqual([1, 1, 0]);
    expect(value(t, 'imagectl_pulls_total{result="success"}')).toBe(pullsBefore + 1);
  });

  it('the metrics port serves only /metrics, only with its token; the API socket serves /metrics too', async () => {
    expect((await scrape('/metrics', null)).status).toBe(401);
    expect((await scrape('/metrics', 'wrong-token-0123456789abcdef')).status).toBe(401);
    for (const path of ['/', '/v1/health', '/v1/images', '/metrics/x']) expect([path, (await scrape(path)).status]).toEqual([path, 404]);
    const onSocket = await get({ socketPath: agent.socket, path: '/metrics' });
    expect(onSocket.status).toBe(200);
    expect(value(onSocket.body, 'imagectl_engine_up')).toBe(1);
    expect(onSocket.body).toContain('# TYPE imagectl_reconcile_duration_seconds histogram');
  });
});

describe('the example alert rules', () => {
  it('pass promtool check rules and their own promtool unit tests', () => {
    const check = spawnSync('promtool', ['check', 'rules', join(RULES, 'imagectl-alerts.yaml')], { encoding: 'utf8' });
    expect([check.status, check.stderr]).toEqual([0, '']);
    expect(check.stdout).toMatch(/SUCCESS: \d+ rules found/);
    const test = spawnSync('promtool', ['test', 'rules', 'imagectl-alerts.test.yaml'], { cwd: RULES, encoding: 'utf8' });
    expect([test.status, test.stderr]).toEqual([0, '']);
    expect(test.stdout).toContain('SUCCESS');
  });
});
