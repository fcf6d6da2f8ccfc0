/**
 * B15 — the fleet dashboard at N hollow devices (B11's hollow agents: the real reconciler, store
 * and fleet client over an in-memory engine stand-in, in a child process) against one real
 * nats-server; the dashboard is the built CLI (`imagectl fleet dashboard`), the page runs in
 * headless Chromium (test/stack/browser.ts).
 * - first paint: a fresh load until the Rollout, the Devices table's first screenful of rows and
 *   the Activity list are painted (the page's `dashboard:devices` mark, ms since navigation start;
 *   the chart, below the fold, follows a frame later), and until
 *   every device's row is in the table (`dashboard:all-devices`), per repetition;
 * - update latency, steady: the devices' heartbeats (a status written every 30 s each), from the
 *   hub's timestamp of each write to its row showing the new last-seen time;
 * - update latency, rollout: a publish that every device applies (the even ones then remove two
 *   images), from each device's status write with the new revision to its row showing it;
 * - the page's long tasks (> 50 ms of main thread) during the rollout, and the dashboard's RSS.
 * It also keeps a screenshot of the page at N devices (results/dashboard-N.png; the README's
 * test/bench/results/dashboard.png is one taken by a full run).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { KvEntry } from '@nats-io/kv';
import { Hub as FleetHub } from '../../controller/fleet/hub.js';
import type { NodeStatus } from '../../crd/fleet/node-status.js';
import { DashboardProcess } from '../helpers/dashboard.js';
import { launchBrowser, type Browser } from '../stack/browser.js';
import { freePort, startNats } from '../stack/nats.js';
import type { Ctx } from './lib/context.js';
import { hollowFleet, type HollowFleet } from './lib/hollow-fleet.js';
import { installProbe, readProbe, setTarget, timedLoad, type Load } from './lib/page-probe.js';
import { metric, ms, percentile, sleep, type BenchResult } from './lib/stats.js';

const policy = (name: string, group: string | null, imageName: string, deleteAfter = '1h') => ({
  apiVersion: 'imagectl.dev/v1alpha1', kind: 'ImagePolicy', metadata: { name },
  spec: { ...(group ? { nodeSelector: { matchLabels: { group } } } : {}), removal: [{ imageName, deleteAfter }] },
});

function rssOf(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : NaN;
}

/** Every status write the hub stores while `fn` runs: [node, lastSeen, appliedRevision, stored at]. */
async function writesDuring<T>(hub: FleetHub, fn: () => Promise<T>): Promise<{ result: T; writes: [string, string, number | null, number][] }> {
  const writes: [string, string, number | null, number][] = [];
  const w = await hub.places.nodes.watch({ include: 'updates' as never });
  const reading = (async () => {
    for await (const e of w as AsyncIterable<KvEntry>) {
      const s = e.json<NodeStatus>();
      writes.push([s.node, s.lastSeen, s.appliedRevision, e.created.getTime()]);
    }
  })();
  try {
    return { result: await fn(), writes };
  } finally {
    w.stop();
    await reading.catch(() => undefined);
  }
}

/** Page time − hub time for each heartbeat the page showed. */
function heartbeatLatencies(writes: [string, string, number | null, number][], seen: [string, string, number][]): number[] {
  const shown = new Map<string, number>();
  for (const [node, t, at] of seen) if (!shown.has(`${node} ${t}`)) shown.set(`${node} ${t}`, at);
  return writes.flatMap(([node, t, , stored]) => {
    const at = shown.get(`${node} ${t}`);
    return at === undefined ? [] : [at - stored];
  });
}

/** Page time − hub time of each device's first write of `revision`. */
function rolloutLatencies(writes: [string, string, number | null, number][], shown: Record<string, number>, revision: number): number[] {
  const first = new Map<string, number>();
  for (const [node, , rev, stored] of writes) if (rev === revision && !first.has(node)) first.set(node, stored);
  return [...first].flatMap(([node, stored]) => (shown[node] === undefined ? [] : [shown[node]! - stored]));
}

async function measure(ctx: Ctx, hub: FleetHub, browser: Browser, url: string, n: number) {
  const { page } = browser;
  const loads: Load[] = [];
  for (let i = 0; i < ctx.reps; i++) {
    const l = await timedLoad(page, url, 60_000);
    if (l.rows !== n) throw new Error(`B15: the page drew ${l.rows} rows, not ${n}`);
    loads.push(l);
  }
  await installProbe(page);
  ctx.log(`B15: heartbeats for ${ctx.quick ? 35 : 65} s`);
  const steady = await writesDuring(hub, () => sleep(ctx.quick ? 35_000 : 65_000));
  const beats = heartbeatLatencies(steady.writes, (await readProbe(page)).seen);
  ctx.log('B15: rollout');
  const longBefore = (await readProbe(page)).longTasks.length;
  const roll = await writesDuring(hub, async () => {
    const r = await hub.apply({ objects: [policy('everywhere', null, 'registry.hollow/other/*:*'), policy('trim', 'even', 'registry.hollow/app/img{1,2}:*', '1s')], prune: true, applyset: 'bench' });
    await setTarget(page, r.revision!);
    const deadline = Date.now() + 180_000;
    while (Object.keys((await readProbe(page)).revision).length < n) {
      if (Date.now() > deadline) throw new Error('B15: the page did not show every device at the new revision within 180 s');
      await sleep(250);
    }
    await sleep(3_000); // the removals that follow, for the screenshot's chart and activity
    return r.revision!;
  });
  const probe = await readProbe(page);
  const rollout = rolloutLatencies(roll.writes, probe.revision, roll.result);
  return { loads, beats, rollout, longTasks: probe.longTasks.slice(longBefore), writes: roll.writes.length };
}

async function screenshot(ctx: Ctx, browser: Browser, n: number): Promise<string> {
  const { page } = browser;
  await page.fill('#image-query', 'app:1.2');
  await page.press('#image-query', 'Enter');
  await page.locator('#images-summary', { hasText: 'Held by' }).waitFor({ timeout: 30_000 });
  await page.check('#removals-only'); // the removals, with their reasons, rather than the rollout's apply records
  await page.evaluate(() => window.scrollTo(0, 0));
  const file = join(ctx.resultsDir, `dashboard-${n}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

export async function b15(ctx: Ctx): Promise<BenchResult> {
  const started = performance.now();
  const N = ctx.quick ? 100 : 1000;
  const M = 20;
  const nats = await startNats({ config: 'max_payload: 8MB' });
  const hub = await FleetHub.connect({ url: nats.url }, 'bench-hub');
  let fleet: HollowFleet | null = null;
  let dash: DashboardProcess | null = null;
  let browser: Browser | null = null;
  try {
    await hub.apply({ objects: [policy('everywhere', null, 'registry.hollow/other/*:*')], prune: true, applyset: 'bench' });
    ctx.log(`B15: starting ${N} hollow agents with ${M} images each`);
    fleet = await hollowFleet(nats.url, N, M);
    dash = new DashboardProcess(nats.url, ['--listen', `127.0.0.1:${await freePort()}`]);
    const url = await dash.start();
    browser = await launchBrowser({ width: 1280, height: 900 });
    const m = await measure(ctx, hub, browser, url, N);
    const shot = await screenshot(ctx, browser, N);
    const rss = rssOf(dash.child!.pid!);
    const p99 = (v: number[]) => percentile(v, 99);
    const paints = m.loads.map((l) => l.firstPaint);
    const paintMed = [...paints].sort((a, b) => a - b)[paints.length >> 1]!;
    return {
      id: 'B15', title: `fleet dashboard: ${N} hollow devices, headless Chromium`, reps: ctx.reps, durationMs: ms(started),
      params: { devices: N, imagesEach: M, browser: 'Debian chromium, headless', viewport: '1280x900' },
      metrics: [
        metric('first paint: fresh load until the rollout, the table\'s first screenful and the activity are painted', 'ms', paints, { goal: '≤ 1000 ms', met: paintMed <= 1000 }),
        metric('same load: every device\'s row in the table, painted', 'ms', m.loads.map((l) => l.allRows), { note: 'info' }),
        metric('same load: the whole picture read (the snapshot the server put in the page)', 'ms', m.loads.map((l) => l.snapshot), { note: 'info' }),
        metric('update latency, rollout: status write → row shows the revision (p99)', 'ms', [p99(m.rollout)], { goal: '≤ 1000 ms', met: p99(m.rollout) <= 1000 }),
        metric('same, p50', 'ms', [percentile(m.rollout, 50)], { note: 'info' }),
        metric('update latency, heartbeats: status write → row shows it (p99)', 'ms', [p99(m.beats)], { goal: '≤ 1000 ms', met: p99(m.beats) <= 1000 }),
        metric('longest main-thread task during the rollout', 'ms', [Math.max(0, ...m.longTasks)], { note: `info: ${m.longTasks.length} task(s) over 50 ms` }),
        metric('dashboard server resident memory', 'B', [rss], { note: 'info' }),
      ],
      notes: [
        `first paint over ${m.loads.length} fresh loads (ms since navigation start, by the page's performance marks); rollout: ${m.rollout.length} of ${N} devices matched to their status write (${m.writes} writes during it), heartbeats: ${m.beats.length} matched`,
        `screenshot: ${shot}`,
      ],
    };
  } finally {
    await browser?.close();
    await dash?.stop();
    const sent = await fleet?.stop();
    if (sent) ctx.log(`hollow agents sent ${sent.statusWrites} status writes, ${sent.auditRecords} audit records`);
    await hub.close();
    await nats.stop();
  }
}
