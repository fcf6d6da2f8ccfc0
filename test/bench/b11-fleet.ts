/**
 * B11–B13 — the fleet at scale, kubemark-style: N hollow agents (the real agent's reconciler,
 * store, apply path and fleet client over an in-memory stand-in for the Docker engine, many in one
 * child process) with M images each, against one real nats-server.
 * - B11: publish a change that selects half of them; the time until each node reports the new
 *   appliedRevision (p50, p99, max). The nodes it does not select report the revision and change
 *   nothing else (their objects and images as before: checked, a failure is an error).
 * - B12: `imagectl --fleet URL get images app:1.2` as a process over the N nodes; baseline:
 *   `get nodes` of the same fleet.
 * - B13: when nothing changes, the hub's resident memory and the bytes each device sends per hour
 *   (the server's own per-connection counters over a window of two heartbeats or more).
 */
import { readFileSync } from 'node:fs';
import type { KvEntry } from '@nats-io/kv';
import { Hub as FleetHub } from '../../controller/fleet/hub.js';
import type { NodeStatus } from '../../crd/fleet/node-status.js';
import { BIN, NODE_FLAGS } from '../helpers/agent.js';
import { freePort, startNats, type Hub } from '../stack/nats.js';
import type { Ctx } from './lib/context.js';
import { hollowFleet, type HollowFleet } from './lib/hollow-fleet.js';
import { timed } from './lib/spawn.js';
import { metric, ms, percentile, sleep, type BenchResult } from './lib/stats.js';

const policy = (name: string, group: string | null, imageName: string) => ({
  apiVersion: 'imagectl.dev/v1alpha1', kind: 'ImagePolicy', metadata: { name },
  spec: { ...(group ? { nodeSelector: { matchLabels: { group } } } : {}), removal: [{ imageName, deleteAfter: '1h' }] },
});

function rssOf(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : NaN;
}

async function connz(port: number): Promise<{ name: string; in_bytes: number }[]> {
  const r = await fetch(`http://127.0.0.1:${port}/connz?limit=100000`);
  return ((await r.json()) as { connections: { name: string; in_bytes: number }[] }).connections;
}

/** What must stay the same on a node the change does not select. */
const fingerprint = (s: NodeStatus) => JSON.stringify({ objects: s.objects, images: s.images.map((i) => [i.id, i.status.state, i.status.rule, i.status.removeAt]) });

async function statuses(hub: FleetHub): Promise<Map<string, NodeStatus>> {
  const { nodeStatuses } = await import('../../controller/fleet/hub-queries.js');
  return new Map((await nodeStatuses(hub)).map((s) => [s.node, s]));
}

/** B11: publish a change selecting the even nodes; per node, the time until its status shows the revision. */
async function rollout(hub: FleetHub, n: number): Promise<{ times: number[]; unselectedChanged: string[]; selectedMissing: string[] }> {
  const before = await statuses(hub);
  const arrived = new Map<string, number>();
  let target = Infinity;
  const w = await hub.places.nodes.watch({ include: 'updates' as never });
  let t0 = 0;
  const done = (async () => {
    for await (const e of w as AsyncIterable<KvEntry>) {
      const s = e.json<NodeStatus>();
      if (s.appliedRevision !== null && s.appliedRevision >= target && !arrived.has(s.node)) arrived.set(s.node, performance.now() - t0);
      if (arrived.size >= n) break;
    }
  })();
  t0 = performance.now();
  const r = await hub.apply({ objects: [policy('everywhere', null, 'registry.hollow/other/*:*'), policy('half', 'even', 'registry.hollow/app/*:*')], prune: true, applyset: 'bench' });
  target = r.revision!;
  const timeout = sleep(120_000).then(() => 'timeout');
  await Promise.race([done, timeout]);
  w.stop();
  await sleep(1500); // the selected nodes' passes settle before the check
  const after = await statuses(hub);
  const unselectedChanged: string[] = [];
  const selectedMissing: string[] = [];
  for (const [node, s] of after) {
    const even = Number(node.slice(5)) % 2 === 0;
    if (!even && fingerprint(s) !== fingerprint(before.get(node)!)) unselectedChanged.push(node);
    if (even && !s.objects.includes('imagepolicy/half')) selectedMissing.push(node);
  }
  return { times: [...arrived.values()], unselectedChanged, selectedMissing };
}

async function idle(hubProc: Hub, monitor: number, n: number, windowMs: number): Promise<{ rss: number; perDeviceHour: number }> {
  const devices = (c: { name: string }) => c.name.startsWith('node-');
  const sum = (cs: { name: string; in_bytes: number }[]) => cs.filter(devices).reduce((a, c) => a + c.in_bytes, 0);
  const a = sum(await connz(monitor));
  await sleep(windowMs);
  const b = sum(await connz(monitor));
  return { rss: rssOf(hubProc.servers[0]!.pid!), perDeviceHour: ((b - a) / n) * (3_600_000 / windowMs) };
}

export async function b11(ctx: Ctx): Promise<BenchResult[]> {
  const started = performance.now();
  const N = ctx.quick ? 100 : 1000;
  const M = ctx.quick ? 20 : 50;
  const monitor = await freePort();
  const nats = await startNats({ config: `http: "127.0.0.1:${monitor}"\nmax_payload: 8MB` });
  let fleet: HollowFleet | null = null;
  const hub = await FleetHub.connect({ url: nats.url }, 'bench-hub');
  try {
    await hub.apply({ objects: [policy('everywhere', null, 'registry.hollow/other/*:*')], prune: true, applyset: 'bench' });
    ctx.log(`B11: starting ${N} hollow agents with ${M} images each`);
    fleet = await hollowFleet(nats.url, N, M, ctx.quick ? 1 : 2);
    const rssBefore = rssOf(nats.servers[0]!.pid!);
    ctx.log('B13: idle window');
    const quiet = await idle(nats, monitor, N, ctx.quick ? 35_000 : 95_000);
    ctx.log('B11: rollout');
    if (process.env.HOLLOW_PROFILE) fleet.children[0]!.kill('SIGUSR2');
    const r = await rollout(hub, N);
    if (process.env.HOLLOW_PROFILE) {
      fleet.children[0]!.kill('SIGUSR1');
      await sleep(3000);
      ctx.log(`B11: the hollow agents' CPU profile of the rollout is in ${process.env.HOLLOW_PROFILE}`);
    }
    if (r.unselectedChanged.length) throw new Error(`B11: ${r.unselectedChanged.length} unselected node(s) changed more than their revision, e.g. ${r.unselectedChanged.slice(0, 3).join(', ')}`);
    if (r.selectedMissing.length) throw new Error(`B11: ${r.selectedMissing.length} selected node(s) did not apply the change, e.g. ${r.selectedMissing.slice(0, 3).join(', ')}`);
    ctx.log('B12: get images over the fleet');
    const images: number[] = [];
    const nodes: number[] = [];
    const env = { IMAGECTL_FLEET: nats.url };
    for (let i = 0; i < ctx.reps + 1; i++) {
      const gi = await timed(process.execPath, [...NODE_FLAGS, BIN, 'get', 'images', 'app:1.2'], env);
      const gn = await timed(process.execPath, [...NODE_FLAGS, BIN, 'get', 'nodes'], env);
      if (gi.code !== 0 || gn.code !== 0) throw new Error(`B12: get exited ${gi.code}/${gn.code}: ${gi.stderr}${gn.stderr}`);
      const rows = gi.stdout.trim().split('\n').length - 1;
      if (rows !== N) throw new Error(`B12: get images app:1.2 listed ${rows} rows, not ${N}`);
      if (i > 0) { // the first run warms the page cache
        images.push(gi.ms);
        nodes.push(gn.ms);
      }
    }
    const p99 = percentile(r.times, 99);
    const imgMed = [...images].sort((a, b) => a - b)[images.length >> 1]!;
    const nodMed = [...nodes].sort((a, b) => a - b)[nodes.length >> 1]!;
    const params = { nodes: N, imagesEach: M, processes: ctx.quick ? 1 : 2, hollow: 'in-memory engine stand-in, real reconciler/store/fleet client' };
    return [
      {
        id: 'B11', title: `fleet rollout: ${N} hollow agents, a change selecting half`, params, reps: 1, durationMs: ms(started),
        metrics: [
          metric('time until each node reports the new appliedRevision (p99)', 'ms', [p99], { goal: '≤ 2000 ms', met: p99 <= 2000 }),
          metric('same, p50', 'ms', [percentile(r.times, 50)], { note: 'info' }),
          metric('same, max', 'ms', [Math.max(...r.times)], { note: 'info' }),
        ],
        notes: [`${r.times.length} of ${N} nodes reported the revision; the ${N / 2} unselected nodes changed nothing but their revision (checked)`],
      },
      {
        id: 'B12', title: `imagectl --fleet get images app:1.2 over ${N} nodes`, params, reps: ctx.reps, durationMs: 0,
        metrics: [metric('get images app:1.2, as a process', 'ms', images, { baseline: { name: 'get nodes of the same fleet', samples: nodes }, goal: '≤ 1000 ms and ≤ 2× get nodes', met: imgMed <= 1000 && imgMed <= 2 * nodMed })],
        notes: [],
      },
      {
        id: 'B13', title: `the fleet at rest: ${N} devices, nothing changes`, params, reps: 1, durationMs: 0,
        metrics: [
          metric('bytes each device sends per hour', 'B', [quiet.perDeviceHour], { note: 'status on change and a 30 s heartbeat, _commit read every 10 s' }),
          metric('hub resident memory (nats-server RSS)', 'B', [quiet.rss], { baseline: { name: 'before the idle window', samples: [rssBefore] } }),
        ],
        notes: [],
      },
    ];
  } finally {
    const sent = await fleet?.stop();
    if (sent) ctx.log(`hollow agents sent ${sent.statusWrites} status writes (${sent.statusBytes} bytes), ${sent.auditRecords} audit records`);
    await hub.close();
    await nats.stop();
  }
}
