/**
 * B14 — validation never blocks the agent for long: the latency of `GET /v1/health` (p99) while a
 * hostile 100 KB manifest is validated again and again through a server dry run (`POST /v1/apply`
 * with `dryRun: server`), on a real agent. The manifest is 40 ImagePolicies of 100 `keep` globs of
 * 1000 brace alternatives each (`fixture/p1{0..999}:*`, the shape of the security issue's finding
 * 1, where 8 KB of it blocked the agent for 5.4 s): every policy is over the cost budget, which is
 * counted without compiling anything, so each dry run is refused (422) at once.
 * Baseline: the same health requests against the idle agent.
 */
import type { Ctx } from './lib/context.js';
import { engineOf } from './lib/context.js';
import { BenchAgent } from './lib/agent.js';
import http from 'node:http';
import { metric, ms, percentile, type BenchResult } from './lib/stats.js';

/** One request on the agent's socket: status and wall time. */
function timedRequest(socket: string, method: string, path: string, body?: string): Promise<{ status: number; ms: number }> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const req = http.request({ socketPath: socket, method, path, agent: false, headers: body ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } : {} }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, ms: performance.now() - t0 }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

export function hostileManifest(): unknown[] {
  return Array.from({ length: 40 }, (_, p) => ({
    apiVersion: 'imagectl.dev/v1alpha1', kind: 'ImagePolicy', metadata: { name: `hostile-${p}` },
    spec: { removal: [{ imageName: '*', deleteAfter: '1s' }], keep: Array.from({ length: 100 }, (_, i) => `fixture/p${p * 100 + i}{0..999}:*`) },
  }));
}

/** Health latencies while `busy` runs (or, without it, for `n` requests). */
async function healthWhile(socket: string, busy: Promise<unknown> | null, n: number): Promise<number[]> {
  const out: number[] = [];
  let done = busy === null;
  void busy?.finally(() => (done = true));
  while (busy ? !done : out.length < n) out.push((await timedRequest(socket, 'GET', '/v1/health')).ms);
  return out;
}

export async function b14(ctx: Ctx): Promise<BenchResult> {
  const started = performance.now();
  const { stack } = engineOf(ctx);
  const dryRuns = ctx.quick ? 10 : 100;
  const body = JSON.stringify({ objects: hostileManifest(), dryRun: 'server' });
  const busy: number[] = [];
  const idle: number[] = [];
  const validation: number[] = [];
  for (let rep = 0; rep < ctx.reps; rep++) {
    const agent = new BenchAgent(stack);
    try {
      await agent.start();
      idle.push(percentile(await healthWhile(agent.socket, null, 200), 99));
      const runs = (async () => {
        for (let i = 0; i < dryRuns; i++) {
          const r = await timedRequest(agent.socket, 'POST', '/v1/apply', body);
          if (r.status !== 422) throw new Error(`B14: the hostile dry run answered ${r.status}, not 422`);
          validation.push(r.ms);
        }
      })();
      const lat = await healthWhile(agent.socket, runs, 0);
      await runs;
      busy.push(percentile(lat, 99));
      ctx.log(`B14 rep ${rep + 1}: health p99 ${busy.at(-1)!.toFixed(1)} ms over ${lat.length} requests during ${dryRuns} dry runs (idle ${idle.at(-1)!.toFixed(1)} ms)`);
    } finally {
      await agent.dispose();
    }
  }
  const med = (a: number[]) => [...a].sort((x, y) => x - y)[a.length >> 1]!;
  return {
    id: 'B14',
    title: `health latency while a hostile ${Math.round(body.length / 1024)} KB manifest is validated (server dry run)`,
    params: { manifestBytes: body.length, dryRuns },
    reps: ctx.reps,
    metrics: [
      metric('health p99 during the dry runs', 'ms', busy, { baseline: { name: 'health p99, idle agent', samples: idle }, goal: '≤ 100 ms', met: med(busy) <= 100 }),
      metric('one hostile dry run, refused (422)', 'ms', validation, { note: 'info' }),
    ],
    notes: [],
    durationMs: ms(started),
  };
}
