/**
 * A diagnostic, not a benchmark: N hollow agents in this one process against a real nats-server,
 * one rollout that selects half of them, CPU-profiled (cpuprofile.ts), with the time until each
 * node reports the revision. `tsx test/bench/lib/probe-rollout.ts N M OUTDIR` prints where the time
 * went; B11 is the measurement.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Level } from 'level';
import { Hub } from '../../../controller/fleet/hub.js';
import { startNats } from '../../stack/nats.js';
import { profiled, topLines } from './cpuprofile.js';
import { startHollowAgent, type HollowAgent } from './hollow-fleet.js';
import { timeRollout } from './rollout.js';
import { cpuMsOf, percentile, sleep } from './stats.js';

const [n = 200, m = 50] = process.argv.slice(2, 4).map(Number);
const out = process.argv[4] ?? tmpdir();
const policy = (name: string, group: string | null, imageName: string) => ({
  apiVersion: 'imagectl.dev/v1alpha1', kind: 'ImagePolicy', metadata: { name },
  spec: { ...(group ? { nodeSelector: { matchLabels: { group } } } : {}), removal: [{ imageName, deleteAfter: '1h' }] },
});
const nats = await startNats({ config: 'max_payload: 8MB' });
const hub = await Hub.connect({ url: nats.url }, 'probe');
const dir = mkdtempSync(join(tmpdir(), 'ictl-probe-'));
// PROBE_STORE=sublevels: one LevelDB for all the agents (else a store directory each)
const db = process.env.PROBE_STORE === 'sublevels' ? new Level<string, unknown>(dir, { valueEncoding: 'json' }) : null;
await db?.open();
const agents: HollowAgent[] = [];
try {
  await hub.apply({ objects: [policy('everywhere', null, 'registry.hollow/other/*:*')], prune: true, applyset: 'bench' });
  for (let i = 0; i < n; i += 50) agents.push(...(await Promise.all(Array.from({ length: Math.min(50, n - i) }, (_, j) => startHollowAgent(db ?? dir, nats.url, i + j, m)))));
  while (!agents.every((a) => a.device.applied.revision !== null && a.device.status.sent.writes > 0)) await sleep(200);
  await sleep(3000);
  // wall time spent in each awaited step, summed over the agents (where a node's wait goes)
  const spent = new Map<string, { n: number; ms: number }>();
  const timeIt = (o: Record<string, unknown>, name: string, label: string) => {
    const f = o[name] as (...a: unknown[]) => Promise<unknown>;
    o[name] = async function (this: unknown, ...a: unknown[]) {
      const t = performance.now();
      try {
        return await f.apply(this, a);
      } finally {
        const e = spent.get(label) ?? { n: 0, ms: 0 };
        e.n++;
        e.ms += performance.now() - t;
        spent.set(label, e);
      }
    };
  };
  for (const a of process.env.PROBE_PLAIN ? [] : agents) {
    for (const k of ['commit', 'listObjects', 'putMeta', 'getMeta', 'auditAfter']) timeIt(a.store as never, k, `store.${k}`);
    timeIt(a.reconciler as never, 'desiredChanged', 'reconciler.desiredChanged');
    timeIt(a.reconciler as never, 'runPass', 'reconciler.runPass');
    timeIt(a.device.status as never, 'build', 'status.build');
    timeIt(a.device.status as never, 'write', 'status.write');
    timeIt(a.device as never, 'applyCommit', 'device.applyCommit');
  }
  let cpu0: [NodeJS.CpuUsage, number] | [] = [];
  let cpuMs = [0, 0];
  const run = async () => {
    cpu0 = [process.cpuUsage(), cpuMsOf(nats.servers[0]!.pid!)];
    const r = await timeRollout(hub, n, [policy('everywhere', null, 'registry.hollow/other/*:*'), policy('half', process.env.PROBE_GROUP ?? 'even', 'registry.hollow/app/*:*')], { applyset: 'bench' });
    const u = process.cpuUsage(cpu0[0] as NodeJS.CpuUsage);
    cpuMs = [(u.user + u.system) / 1000, (cpuMsOf(nats.servers[0]!.pid!) - (cpu0[1] as number))];
    await sleep(1500);
    return r.times;
  };
  const { value: times, profile } = process.env.PROBE_PLAIN ? { value: await run(), profile: null } : await profiled(out, 'probe-rollout', run);
  for (const [k, v] of [...spent].sort((x, y) => y[1].ms - x[1].ms)) console.log(`${k}: ${v.n} calls, ${(v.ms / v.n).toFixed(1)} ms each, ${v.ms.toFixed(0)} ms in all`);
  console.log(`CPU until the last node reported: this process ${cpuMs[0]!.toFixed(0)} ms (${(cpuMs[0]! / n).toFixed(1)} ms per agent), nats-server ${cpuMs[1]!.toFixed(0)} ms`);
  console.log(`${n} agents x ${m} images in one process: p50 ${percentile(times, 50).toFixed(0)} ms, p99 ${percentile(times, 99).toFixed(0)} ms`);
  if (profile) console.log(`profile ${profile.file}\n-- self --\n${topLines(profile.self, 'selfMs', 30).join('\n')}\n-- inclusive --\n${topLines(profile.total, 'totalMs', 60).join('\n')}`);
} finally {
  await Promise.all(agents.map(async (a) => {
    await a.device.stop();
    await a.reconciler.stop();
    a.engine.close();
    if (!db) await a.store.close();
  }));
  await db?.close();
  rmSync(dir, { recursive: true, force: true });
  await hub.close();
  await nats.stop();
}
