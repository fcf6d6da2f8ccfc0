/**
 * B2 — a steady-state pass with nothing to do: N images, N/5 containers, 50 policies × 20 rules
 * (none due). The agent runs in this process (startAgent, the real wiring, a Store in a temp dir)
 * so that a pass can be run and timed on demand (Reconciler.runPass) and the store's write counter
 * read. Baseline, alternating with it: GET /images/json then GET /containers/json?all=1 on one
 * kept-alive connection, bodies read (not parsed) — the physical floor of a pass.
 * The fixture set stays in the engine for B8, B5 and B6.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startAgent, type RunningAgent } from '../../controller/agent/agent.js';
import { compilePolicies } from '../../crd/imagepolicy/match.js';
import { planPass } from '../../controller/reconcile/plan.js';
import { validateForServer } from '../../crd/server.js';
import type { Store } from '../../controller/store/store.js';
import type { Ctx } from './lib/context.js';
import { engineOf } from './lib/context.js';
import { apiPost } from './lib/agent.js';
import { makeContainers, makeImages } from './lib/fixtures.js';
import { profiled, topLines } from './lib/cpuprofile.js';
import { metric, ms, sleep, type BenchResult } from './lib/stats.js';
import { synthPolicies, synthTags, type Namespace } from './lib/synthetic.js';

export const B2_NS: Namespace = { prefix: 'benchb2/t', teams: 20, apps: 10 };
export const B2_LABEL = 'b2';

export interface SteadySet {
  images: string[];
  containers: string[];
}

/** The shared set: N images, the first N/5 used by a created container each. */
export async function makeSteadySet(ctx: Ctx, n: number): Promise<SteadySet> {
  const { docker } = engineOf(ctx);
  const tags = synthTags(B2_NS, n, 3).map((t) => t[0]!);
  const images = await makeImages(docker, tags.map((ref) => ({ ref, labels: { bench: B2_LABEL } })));
  const containers = await makeContainers(docker, images.slice(0, n / 5), 'b2');
  return { images, containers };
}

export async function b2(ctx: Ctx, set: SteadySet): Promise<BenchResult> {
  const started = performance.now();
  const { stack, raw } = engineOf(ctx);
  const N = set.images.length;
  const PASSES = ctx.quick ? 3 : 10;
  const dir = mkdtempSync(join(tmpdir(), 'ictl-b2-'));
  const notes: string[] = [];
  let agent: RunningAgent | undefined;
  try {
    agent = await startAgent({
      stateDir: dir, socket: join(dir, 'imagectl.sock'), nodeLabels: {}, intervalMs: 3600_000,
      dockerHost: stack.dockerHost, logLevel: 'warn', validate: validateForServer,
    });
    const rec = agent.reconciler;
    const store = (rec as unknown as { o?: { store?: Store } }).o?.store;
    if (!store?.writes) throw new Error('B2: cannot reach the reconciler\'s store (Reconciler.o.store)');
    const policies = synthPolicies(B2_NS, 50, 20);
    await apiPost(join(dir, 'imagectl.sock'), '/v1/apply', { objects: policies });
    for (let i = 0; i < 3; i++) await rec.runPass('warm-up');
    await sleep(300);
    const tracked = [...rec.snapshot().images.values()].filter((p) => p.state !== 'removed').length;
    const withRule = [...rec.snapshot().images.values()].filter((p) => p.context.rule).length;

    const pass: number[] = [];
    const rawList: number[] = [];
    const writes0 = { ...store.writes };
    for (let i = 0; i < PASSES; i++) {
      let t = performance.now();
      const a = await raw.request('GET', '/images/json');
      const b = await raw.request('GET', '/containers/json?all=1');
      rawList.push(ms(t));
      if (a.status !== 200 || b.status !== 200) throw new Error('B2: raw list failed');
      t = performance.now();
      await rec.runPass('bench');
      pass.push(ms(t));
    }
    const writes = { batches: store.writes.batches - writes0.batches, ops: store.writes.ops - writes0.ops };

    // the plan part alone, on the pass's own data
    const plan: number[] = [];
    for (let i = 0; i < PASSES; i++) {
      const snap = rec.snapshot();
      const input = { policies: compilePolicies([...snap.policies]), observed: snap.lastObservation!, persisted: snap.images, downloads: snap.downloads, now: Date.now() };
      const t = performance.now();
      planPass(input);
      plan.push(ms(t));
    }
    const { profile } = await profiled(ctx.resultsDir, 'b2-steady-pass', async () => {
      for (let i = 0; i < 5; i++) await rec.runPass('profile');
    });
    const ours = profile.total.filter((l) => /(controller|policy|store|statemachines|xstate|dockerode|docker-modem|JSON|parse)/.test(l.fn) && !/bench\//.test(l.fn));
    notes.push(`${tracked} images tracked, ${withRule} matched by a rule, ${set.containers.length} containers; ${PASSES} passes per side.`);
    notes.push(`profile of 5 passes (${profile.file}), inclusive: ${topLines(ours, 'totalMs', 8).join('; ')}`);
    const med = (a: number[]) => [...a].sort((x, y) => x - y)[a.length >> 1]!;
    return {
      id: 'B2',
      title: `steady-state pass: ${N} images, ${set.containers.length} containers, 50 policies × 20 rules`,
      params: { images: N, containers: set.containers.length, policies: 50, rules: 1000, passes: PASSES },
      reps: PASSES,
      metrics: [
        metric('pass time', 'ms', pass, { baseline: { name: 'the two raw list calls, one kept-alive socket', samples: rawList }, goal: '≤ 1.5× raw', met: med(pass) / med(rawList) <= 1.5 }),
        metric('store writes in those passes', 'ops', [writes.ops], { goal: '0', met: writes.ops === 0 && writes.batches === 0 }),
        metric('plan part of a pass (planPass)', 'ms', plan, { note: 'info' }),
      ],
      notes,
      durationMs: ms(started),
    };
  } finally {
    await agent?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
