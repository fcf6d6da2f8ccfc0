/**
 * B5 — event reaction: a container is removed; time until the agent has recorded its image idle
 * (the audit record arrives on a follow stream of the agent's API, i.e. after the commit).
 * Baseline, on the very same removal: the engine's own `destroy` event arriving on an event
 * stream in the bench process — the floor of any event-driven agent.
 */
import http from 'node:http';
import type { Ctx } from './lib/context.js';
import { engineOf } from './lib/context.js';
import type { BenchAgent } from './lib/agent.js';
import type { SteadySet } from './b2-steady.js';
import { LineSplitter } from '../../crd/api/lines.js';
import { metric, ms, percentile, sleep, type BenchResult } from './lib/stats.js';

/** Calls `onLine` for each JSON line of a long-lived GET on a unix socket. */
function follow(socketPath: string, path: string, onLine: (v: any) => void): { close(): void; ready: Promise<void> } {
  let req: http.ClientRequest;
  const ready = new Promise<void>((resolve, reject) => {
    // the agent sends no headers until its first record: ready once connected and registered
    setTimeout(resolve, 500);
    req = http.get({ socketPath, path, agent: false }, (res) => {
      resolve();
      const lines = new LineSplitter();
      res.on('data', (c: Buffer) => {
        for (const line of lines.push(c)) onLine(JSON.parse(line));
      });
      res.on('error', () => {});
    });
    req.on('error', reject);
  });
  return { ready, close: () => req.destroy() };
}

export async function b5(ctx: Ctx, agent: BenchAgent, set: SteadySet): Promise<BenchResult> {
  const started = performance.now();
  const { stack, raw } = engineOf(ctx);
  const S = ctx.quick ? 3 : 20;
  const ictlP99: number[] = [];
  const evP99: number[] = [];
  const allI: number[] = [];
  const allE: number[] = [];
  const pending = new Map<string, { t0: number; idle?: number; event?: number; container: string }>();
  const byContainer = new Map<string, string>();
  const audit = follow(agent.socket, `/v1/audit?follow=true&since=${Date.now()}`, (r: { image: string; to: string }) => {
    const p = pending.get(r.image);
    if (p && r.to === 'idle' && p.idle === undefined) p.idle = performance.now();
  });
  const events = follow(stack.socketPath, `/events?filters=${encodeURIComponent(JSON.stringify({ type: ['container'], event: ['destroy'] }))}`, (e: { id?: string }) => {
    const img = e.id ? byContainer.get(e.id) : undefined;
    const p = img ? pending.get(img) : undefined;
    if (p && p.event === undefined) p.event = performance.now();
  });
  await Promise.all([audit.ready, events.ready]);
  try {
    // the last containers of the set (B6 churns the unused images, B2's first ones stay in use)
    let k = set.containers.length - 1;
    for (let rep = 0; rep < ctx.reps; rep++) {
      const li: number[] = [];
      const le: number[] = [];
      for (let s = 0; s < S; s++, k--) {
        if (k < 0) throw new Error('B5: ran out of containers');
        const container = set.containers[k]!;
        const image = set.images[k]!;
        byContainer.set(container, image);
        const p = { t0: performance.now(), container } as { t0: number; idle?: number; event?: number; container: string };
        pending.set(image, p);
        const r = await raw.request('DELETE', `/containers/${container}`);
        if (r.status !== 204) throw new Error(`B5: DELETE container: ${r.status} ${r.body}`);
        const deadline = performance.now() + 10_000;
        while ((p.idle === undefined || p.event === undefined) && performance.now() < deadline) await sleep(2);
        if (p.idle === undefined || p.event === undefined) throw new Error(`B5: no ${p.idle === undefined ? 'idle record' : 'destroy event'} within 10 s`);
        li.push(p.idle - p.t0);
        le.push(p.event - p.t0);
        pending.delete(image);
        await sleep(400); // let the passes the removal triggered finish
      }
      ictlP99.push(percentile(li, 99));
      evP99.push(percentile(le, 99));
      allI.push(...li);
      allE.push(...le);
      ctx.log(`B5 rep ${rep + 1}: p99 ${percentile(li, 99).toFixed(0)} ms (event ${percentile(le, 99).toFixed(0)} ms)`);
    }
  } finally {
    audit.close();
    events.close();
  }
  set.containers.splice(set.containers.length - S * ctx.reps);
  const med = (a: number[]) => [...a].sort((x, y) => x - y)[a.length >> 1]!;
  return {
    id: 'B5',
    title: `event reaction: a container is removed (${set.images.length} images tracked)`,
    params: { samplesPerRep: S, images: set.images.length },
    reps: ctx.reps,
    metrics: [metric('p99 until the image is recorded idle', 'ms', ictlP99, { baseline: { name: 'engine destroy event arrival', samples: evP99 }, goal: '≤ 250 ms', met: med(ictlP99) <= 250 })],
    notes: [`over all ${allI.length} removals: imagectl p50 ${percentile(allI, 50).toFixed(0)} ms, max ${Math.max(...allI).toFixed(0)} ms; event p50 ${percentile(allE, 50).toFixed(1)} ms. The first engine event after a quiet spell runs a full pass 25 ms later (observe + plan + commit; then at most one pass per 100 ms while events keep coming).`],
    durationMs: ms(started),
  };
}
