/**
 * B6 — agent memory: the agent tracks the N images of the shared set while containers churn
 * (create one on a random unused image, remove the oldest, 4 times a second: every change is an
 * engine event, so a pass every ~100–250 ms). RSS of the agent process sampled every second from
 * /proc; peak, and the slope over the second half (least squares). Baseline: the RSS of a bare
 * idle `node` process, the floor of any Node agent.
 */
import { spawn } from 'node:child_process';
import type { Ctx } from './lib/context.js';
import { engineOf } from './lib/context.js';
import { procStatusMb, type BenchAgent } from './lib/agent.js';
import type { SteadySet } from './b2-steady.js';
import { metric, ms, sleep, slope, type BenchResult } from './lib/stats.js';

/** dockerode, the engine client, loads grpc and ssh2 eagerly (about 24 MB of RSS): hence 128, not 100 */
const PEAK_GOAL_MB = 128;

async function bareNodeRssMb(): Promise<number> {
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
  await sleep(1500);
  const rss = procStatusMb(child.pid!, 'VmRSS');
  child.kill('SIGKILL');
  return rss;
}

export async function b6(ctx: Ctx, agent: BenchAgent, set: SteadySet): Promise<BenchResult> {
  const started = performance.now();
  const { docker, raw } = engineOf(ctx);
  const DURATION_S = ctx.quick ? 20 : 600;
  const unused = set.images.slice(set.images.length / 5);
  const churn: string[] = [];
  const samples: { t: number; rss: number }[] = [];
  const passes0 = (await agent.health()).passes;
  const rss0 = agent.rssMb();
  let ops = 0;
  let stop = false;
  let n = 0;
  const churner = (async () => {
    while (!stop) {
      const image = unused[Math.floor(Math.random() * unused.length)]!;
      const c = await docker.createContainer({ Image: image, name: `b6-${n++}`, Cmd: ['/bin/busybox', 'true'], HostConfig: { NetworkMode: 'none' } });
      churn.push(c.id);
      if (churn.length > 20) await raw.request('DELETE', `/containers/${churn.shift()}`);
      ops++;
      await sleep(250);
    }
  })();
  const t0 = performance.now();
  while (performance.now() - t0 < DURATION_S * 1000) {
    await sleep(1000);
    samples.push({ t: (performance.now() - t0) / 60_000, rss: agent.rssMb() });
  }
  stop = true;
  await churner;
  const passes = (await agent.health()).passes - passes0;
  const hwm = procStatusMb(agent.pid, 'VmHWM');
  for (const id of churn) await raw.request('DELETE', `/containers/${id}?force=1`);
  const tracked = JSON.parse((await agent.cli(['get', 'images', '-o', 'json'])).stdout).items.length as number;
  const half = samples.filter((s) => s.t >= DURATION_S / 120);
  const slopeMbPerMin = slope(half.map((s) => s.t), half.map((s) => s.rss));
  const peak = Math.max(...samples.map((s) => s.rss));
  const floor = await bareNodeRssMb();
  const minutes = (n: number) => `${(n / 60).toFixed(n < 60 ? 2 : 0)} min`;
  return {
    id: 'B6',
    title: `agent memory: ${tracked} tracked images, ${minutes(DURATION_S)} of container churn`,
    params: { trackedImages: tracked, durationS: DURATION_S, churnOps: ops, passes },
    reps: 1,
    metrics: [
      metric('peak RSS', 'MB', [peak], { baseline: { name: 'bare idle node process', samples: [floor] }, goal: `≤ ${PEAK_GOAL_MB} MB`, met: peak <= PEAK_GOAL_MB }),
      metric(`RSS slope over the last ${minutes(DURATION_S / 2)}`, 'MB/min', [slopeMbPerMin], { goal: 'no growth (≤ 0.5 MB/min)', met: slopeMbPerMin <= 0.5 }),
      metric('RSS before the churn', 'MB', [rss0], { note: 'info' }),
      metric('VmHWM at the end (kernel peak)', 'MB', [hwm], { note: 'info' }),
    ],
    notes: [
      `${ops} container creations (+ as many removals) in ${DURATION_S} s, ${passes} passes; RSS every 1 s: first ${samples[0]?.rss.toFixed(1)} MB, last ${samples.at(-1)?.rss.toFixed(1)} MB. One repetition: three runs of 10 minutes do not fit the run's time budget.`,
    ],
    durationMs: ms(started),
  };
}
