import { EventEmitter } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { LogRecord } from '../../crd/api/audit.js';
import { startImage, type PersistedImage } from '../../statemachines/runtime.js';
import type { DiskState } from '../reconcile/pressure.js';
import type { Commit } from '../store/store.js';
import { AgentMetrics, removalReason } from './metrics.js';
import { metricsServer } from './serve.js';

const cleanup: (() => void)[] = [];
afterEach(() => cleanup.splice(0).forEach((c) => c()));

const record = (o: Partial<LogRecord>): LogRecord => ({ time: '2026-01-01T00:00:10.000Z', image: 'sha256:a', tags: [], from: 'removable', to: 'removed', event: 'removed', reason: 'rule p/removal[0]: idle 10s >= 5s; removed a:1', actor: 'agent', ...o });

function removed(id: string, size: number, lastUsedAt: number, deleteAfterMs: number): [string, PersistedImage] {
  const p = startImage({ id, now: 0, agentDownloaded: false, reason: 'x' });
  return [id, { state: 'removed', context: { ...p.context, sizeBytes: size, lastUsedAt, deleteAfterMs, rule: 'p/removal[0]', protectedBy: null, removedAt: Date.parse('2026-01-01T00:00:10.000Z') } }];
}

function setup() {
  const store = new EventEmitter();
  const src = {
    images: new Map<string, PersistedImage>(),
    workloads: [{ metadata: { name: 'w' } }, { metadata: { name: 'v' } }],
    statuses: new Map([['Workload/w', { phase: 'Running' }]]),
    engine: { reachable: true },
    safeMode: null as object | null,
    passStats: { removalErrors: 0 },
    disk: null as DiskState | null,
  };
  const engine = { info: async () => ({ DockerRootDir: '/' }) };
  const m = new AgentMetrics(() => src, store, engine, Date.parse('2026-01-01T00:00:00.000Z'));
  cleanup.push(() => m.close());
  const commit = (c: Commit) => store.emit('commit', c);
  const value = async (series: string) => {
    const line = (await m.scrape()).text.split('\n').find((l) => l.startsWith(`${series} `));
    return line === undefined ? undefined : Number(line.slice(series.length + 1));
  };
  return { src, m, commit, value, store };
}

describe('AgentMetrics', () => {
  it('tells age, disk and manual removals apart, and leaves out images found gone', () => {
    expect(removalReason(record({}))).toBe('age');
    expect(removalReason(record({ reason: 'disk pressure: / 91% >= 85% (target 80%)' }))).toBe('disk');
    expect(removalReason(record({ actor: 'uid:0', reason: 'requested by imagectl rmi a:1; removed a:1' }))).toBe('manual');
    expect(removalReason(record({ reason: 'found gone before removal' }))).toBeNull();
    expect(removalReason(record({ event: 'observe', reason: 'found gone: the image disappeared from the engine' }))).toBeNull();
    expect(removalReason(record({ to: 'idle', event: 'observe' }))).toBeNull();
  });

  it('counts what commits wrote: removals with their bytes and lateness, in-use refusals, pulls', async () => {
    const { commit, value, src } = setup();
    commit({ putImages: [removed('sha256:a', 1000, Date.parse('2026-01-01T00:00:03.000Z'), 5000)], audit: [record({})] });
    commit({ audit: [record({ image: 'sha256:b', actor: 'uid:0', reason: 'requested by imagectl rmi b:1; removed b:1', freedBytes: 700 } as Partial<LogRecord>)] });
    commit({ audit: [record({ image: 'sha256:c', from: 'removable', to: 'in-use', event: 'remove_failed', reason: 'removal refused' })] });
    commit({ audit: [record({ image: 'sha256:d', from: 'removable', to: 'idle', event: 'remove_failed', reason: 'removal refused by the engine (409) with no container using it' })] });
    commit({ audit: [record({ image: null, from: null, to: 'succeeded', event: 'api.pull', reason: 'pull a:1' }), record({ image: null, from: null, to: 'failed', event: 'api.pull', reason: 'pull z:1 failed' })] });
    // a workload's status events: pulls after the agent started count, once each
    const events = [{ time: '2025-12-31T00:00:00.000Z', reason: 'Pulled' }, { time: '2026-01-01T00:00:05.000Z', reason: 'Pulled' }, { time: '2026-01-01T00:00:05.000Z', reason: 'Created' }];
    commit({ putStatuses: [['Workload/w', { phase: 'Running', events }]] });
    commit({ putStatuses: [['Workload/w', { phase: 'Failed', events: [...events, { time: '2026-01-01T00:00:07.000Z', reason: 'PullFailed' }] }]] });
    src.passStats.removalErrors = 2;
    expect(await value('imagectl_removals_total{reason="age"}')).toBe(1);
    expect(await value('imagectl_removals_total{reason="manual"}')).toBe(1);
    expect(await value('imagectl_reclaimed_bytes_total')).toBe(1700);
    expect(await value('imagectl_removal_lateness_seconds_count')).toBe(1);
    expect(await value('imagectl_removal_lateness_seconds_sum')).toBe(2); // due at 8 s, removed at 10 s
    expect(await value('imagectl_removal_failures_total{reason="in_use"}')).toBe(1);
    expect(await value('imagectl_removal_failures_total{reason="refused"}')).toBe(1);
    expect(await value('imagectl_removal_failures_total{reason="error"}')).toBe(2);
    expect(await value('imagectl_pulls_total{result="success"}')).toBe(2);
    expect(await value('imagectl_pulls_total{result="failure"}')).toBe(2);
  });

  it('reads gauges from the agent when scraped; passes feed the duration histogram and the errors by kind', async () => {
    const { m, src, value } = setup();
    src.images.set('sha256:x', { state: 'idle', context: { ...startImage({ id: 'sha256:x', now: 0, agentDownloaded: false, reason: '' }).context, sizeBytes: 42 } });
    expect(await value('imagectl_images{state="idle"}')).toBe(1);
    expect(await value('imagectl_image_bytes{state="idle"}')).toBe(42);
    expect(await value('imagectl_workloads{phase="Running"}')).toBe(1);
    expect(await value('imagectl_workloads{phase="Pending"}')).toBe(1);
    expect(await value('imagectl_disk_used_ratio{path="/"}')).toBeGreaterThan(0);
    m.onPass({ at: '2026-01-01T00:00:00.000Z', durationMs: 30, error: null });
    src.engine.reachable = false;
    m.onPass({ at: '2026-01-01T00:00:01.000Z', durationMs: 5, error: 'connect ENOENT' });
    src.safeMode = { reason: 'disk full' };
    m.onPass({ at: '2026-01-01T00:00:02.000Z', durationMs: 5, error: 'safe mode: disk full' });
    expect(await value('imagectl_engine_up')).toBe(0);
    expect(await value('imagectl_safe_mode')).toBe(1);
    expect(await value('imagectl_reconcile_duration_seconds_count')).toBe(3);
    expect(await value('imagectl_reconcile_errors_total{kind="engine"}')).toBe(1);
    expect(await value('imagectl_reconcile_errors_total{kind="store"}')).toBe(1);
    expect(await value('imagectl_reconcile_last_success_timestamp_seconds')).toBe(Date.parse('2026-01-01T00:00:00.030Z') / 1000);
  });

  it('shows the disk budgets of the last measurement: thresholds as ratios, byte limits, image bytes, pressure; nothing without a budget', async () => {
    const { src, value, m } = setup();
    expect((await m.scrape()).text).not.toMatch(/^imagectl_disk_(threshold_ratio|image_limit_bytes|image_bytes|pressure)[{ ]/m);
    const fs = { path: '/var/lib/docker', totalBytes: 1000, usedBytes: 910, availableBytes: 90, usedPercent: 91 };
    src.disk = {
      at: 0,
      budgets: [
        { policy: 'edge', form: 'percent', high: 85, low: 80, minAgeMs: 120_000, minAge: '2m' },
        { policy: 'remote', form: 'bytes', max: 10e9, target: 8e9, minAgeMs: 0, minAge: '0s' },
      ],
      usage: { fs, imageBytes: 7e9 },
      error: null,
    };
    expect(await value('imagectl_disk_threshold_ratio{policy="edge",threshold="high"}')).toBe(0.85);
    expect(await value('imagectl_disk_threshold_ratio{policy="edge",threshold="low"}')).toBe(0.8);
    expect(await value('imagectl_disk_image_limit_bytes{policy="remote",threshold="max"}')).toBe(10e9);
    expect(await value('imagectl_disk_image_limit_bytes{policy="remote",threshold="target"}')).toBe(8e9);
    expect(await value('imagectl_disk_image_bytes{policy="remote"}')).toBe(7e9);
    expect(await value('imagectl_disk_pressure{policy="edge"}')).toBe(1);
    expect(await value('imagectl_disk_pressure{policy="remote"}')).toBe(0);
    src.disk = { ...src.disk, usage: { fs: { ...fs, usedBytes: 700, usedPercent: 70 }, imageBytes: 11e9 } };
    expect(await value('imagectl_disk_pressure{policy="edge"}')).toBe(0);
    expect(await value('imagectl_disk_pressure{policy="remote"}')).toBe(1);
    // not measured: no pressure series for it
    src.disk = { ...src.disk, usage: { fs: null, imageBytes: 11e9 } };
    expect(await value('imagectl_disk_pressure{policy="edge"}')).toBeUndefined();
  });

  it('a metrics port without a token serves /metrics to anyone, and nothing else', async () => {
    const { m } = setup();
    const server = metricsServer(m, null);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    cleanup.push(() => server.close());
    const { port } = server.address() as AddressInfo;
    const status = (path: string, method = 'GET') => new Promise<number>((resolve, reject) => {
      http.request({ host: '127.0.0.1', port, path, method }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      }).on('error', reject).end();
    });
    expect(await status('/metrics')).toBe(200);
    expect(await status('/metrics?x=1')).toBe(200);
    expect(await status('/')).toBe(404);
    expect(await status('/v1/health')).toBe(404);
    expect(await status('/metrics', 'POST')).toBe(405);
  });
});
