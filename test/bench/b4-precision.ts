/**
 * B4 — removal precision: N images with staggered due times (one rule per image, deleteAfter
 * stepping by 100 ms). Lateness = the `removed` audit record's time minus the image's due moment
 * (its removeAt as the agent reported it). Baseline, on an identical fresh set: an ideal scheduler
 * in the bench process, one timer per image firing a DELETE on a kept-alive connection (deletes
 * serialized): the floor any agent can reach on this engine.
 */
import type { Ctx } from './lib/context.js';
import { engineOf } from './lib/context.js';
import { BenchAgent, policy } from './lib/agent.js';
import { cleanEngine, makeImages } from './lib/fixtures.js';
import { metric, ms, percentile, sleep, type BenchResult } from './lib/stats.js';

const STEP_MS = 100;

export async function b4(ctx: Ctx): Promise<BenchResult> {
  const started = performance.now();
  const { stack, docker, raw } = engineOf(ctx);
  const N = ctx.quick ? 10 : 100;
  const ictl: number[] = [];
  const ideal: number[] = [];
  const all: number[] = [];
  const notes: string[] = [];

  for (let rep = 0; rep < ctx.reps; rep++) {
    for (const side of rep % 2 ? ['imagectl', 'ideal'] : ['ideal', 'imagectl']) {
      const tag = `b4${side === 'ideal' ? 's' : 'i'}${rep}`;
      const refs = Array.from({ length: N }, (_, i) => `bench/${tag}-${i}:1`);
      const ids = await makeImages(docker, refs.map((ref) => ({ ref, labels: { bench: tag } })));
      await sleep(300);
      const lateness: number[] = [];
      if (side === 'ideal') {
        const t0 = Date.now() + 2000;
        let queue = Promise.resolve();
        await Promise.all(
          ids.map(
            (id, i) =>
              new Promise<void>((resolve) => {
                const due = t0 + i * STEP_MS;
                setTimeout(() => {
                  queue = queue.then(async () => {
                    const r = await raw.request('DELETE', `/images/${id}`);
                    if (r.status !== 200) throw new Error(`B4: DELETE ${id}: ${r.status}`);
                    lateness.push(Date.now() - due);
                  });
                  void queue.then(resolve);
                }, due - Date.now());
              }),
          ),
        );
        ideal.push(percentile(lateness, 99));
      } else {
        const agent = new BenchAgent(stack);
        try {
          await agent.start();
          const firstPassAt = Date.parse((await agent.health()).lastPass!.at);
          const base = Date.now() - firstPassAt + 2000;
          await agent.apply([policy(`b4-${tag}`, refs.map((ref, i) => ({ imageName: ref.replace(/:1$/, ':*'), deleteAfter: `${base + i * STEP_MS}ms` })))]);
          const listed = (await agent.cli(['get', 'images', '-o', 'json'])).stdout;
          const dueById = new Map<string, number>();
          for (const item of (JSON.parse(listed) as { items: { metadata: { name: string }; status: { tags: string[]; removeAt: string | null } }[] }).items) {
            if (item.status.tags.some((t) => t.includes(`/${tag}-`)) && item.status.removeAt) dueById.set(item.metadata.name, Date.parse(item.status.removeAt));
          }
          if (dueById.size !== N) throw new Error(`B4: ${dueById.size} images have a due time, expected ${N}`);
          const lastDue = Math.max(...dueById.values());
          for (;;) {
            await sleep(200);
            const h = await agent.health();
            if (h.nextDueAt === null && h.lastPass && Date.parse(h.lastPass.at) >= lastDue) break;
            if (Date.now() > lastDue + 120_000) throw new Error('B4: removals did not finish');
          }
          const removed = (await agent.audit(firstPassAt)).filter((a) => a.to === 'removed' && dueById.has(a.image));
          if (removed.length !== N) throw new Error(`B4: ${removed.length} removed, expected ${N}`);
          for (const r of removed) lateness.push(Date.parse(r.time) - dueById.get(r.image)!);
          ictl.push(percentile(lateness, 99));
          all.push(...lateness);
        } finally {
          await agent.dispose();
        }
      }
      await cleanEngine(raw, [tag]);
      ctx.log(`B4 rep ${rep + 1} ${side}: p99 lateness ${percentile(lateness, 99).toFixed(0)} ms (max ${Math.max(...lateness)} ms, min ${Math.min(...lateness)} ms)`);
    }
  }
  const med = (a: number[]) => [...a].sort((x, y) => x - y)[a.length >> 1]!;
  notes.push(`due times ${STEP_MS} ms apart; over all ${all.length} imagectl removals: p50 ${percentile(all, 50)} ms, p99 ${percentile(all, 99)} ms, max ${Math.max(...all)} ms, min ${Math.min(...all)} ms.`);
  return {
    id: 'B4',
    title: `removal precision: ${N} images, staggered due times`,
    params: { images: N, stepMs: STEP_MS },
    reps: ctx.reps,
    metrics: [metric('p99 lateness (removed − due)', 'ms', ictl, { baseline: { name: 'ideal timer + DELETE per image', samples: ideal }, goal: '≤ 1000 ms', met: med(ictl) <= 1000 })],
    notes,
    durationMs: ms(started),
  };
}
