/**
 * `npm run bench [-- --quick] [-- --only B1,B3]`: the performance suite of issue 5 (B1–B9), the fleet's (B11–B13) and its dashboard's (B15), each
 * figure side by side with its baseline in the same run, on the real engine of a private test
 * stack (one for the whole run). Writes bench/results/latest.json and prints the table.
 * --quick: small N and one repetition, for CI (no thresholds are enforced; verdicts are printed).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { ensurePackages, startStack } from '../stack/stack.js';
import { dockerFor } from '../stack/fixtures.js';
import { b1 } from './b1-removal.js';
import { b2, makeSteadySet } from './b2-steady.js';
import { b3 } from './b3-planner.js';
import { b4 } from './b4-precision.js';
import { b5 } from './b5-events.js';
import { b6 } from './b6-memory.js';
import { b7 } from './b7-audit.js';
import { b8 } from './b8-cli.js';
import { b9 } from './b9-apply.js';
import { b11 } from './b11-fleet.js';
import { b15 } from './b15-dashboard.js';
import { BenchAgent } from './lib/agent.js';
import type { Ctx } from './lib/context.js';
import { RawEngine } from './lib/engine.js';
import { cleanEngine, creationStats } from './lib/fixtures.js';
import { fmt, type BenchResult, type Metric } from './lib/stats.js';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const onlyArg = args.find((a) => a.startsWith('--only'));
const only = onlyArg ? new Set((onlyArg.includes('=') ? onlyArg.split('=')[1]! : args[args.indexOf(onlyArg) + 1]!).toUpperCase().split(',')) : null;
const want = (id: string) => !only || only.has(id);

const resultsDir = resolve(import.meta.dirname, 'results');
mkdirSync(resultsDir, { recursive: true });
const runStarted = performance.now();
const t = () => `${((performance.now() - runStarted) / 1000).toFixed(0).padStart(4)}s`;
const ctx: Ctx = { quick, reps: quick ? 1 : 3, resultsDir, log: (m) => console.log(`[${t()}] ${m}`) };
const results: BenchResult[] = [];

async function step(id: string, fn: () => Promise<BenchResult>): Promise<void> {
  if (!want(id)) return;
  ctx.log(`${id} …`);
  const t0 = performance.now();
  try {
    const r = await fn();
    results.push(r);
    ctx.log(`${id} done in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  } catch (err) {
    ctx.log(`${id} FAILED: ${(err as Error).stack ?? err}`);
    results.push({ id, title: 'failed', params: {}, reps: 0, metrics: [], notes: [], durationMs: performance.now() - t0, error: String((err as Error).message ?? err) });
  }
}

// pure benchmarks: no engine
await step('B3', () => b3(ctx));
await step('B7', () => b7(ctx));

// the fleet at scale: hollow agents against a real nats-server, no engine
if (['B11', 'B12', 'B13'].some(want)) {
  ctx.log('B11–B13 …');
  const t0 = performance.now();
  try {
    for (const r of await b11(ctx)) if (want(r.id)) results.push(r);
    ctx.log(`B11–B13 done in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  } catch (err) {
    ctx.log(`B11–B13 FAILED: ${(err as Error).stack ?? err}`);
    results.push({ id: 'B11', title: 'failed', params: {}, reps: 0, metrics: [], notes: [], durationMs: performance.now() - t0, error: String((err as Error).message ?? err) });
  }
}

// the fleet dashboard at scale: hollow agents, a real nats-server, the page in headless Chromium
await step('B15', () => b15(ctx));

const engineIds = ['B1', 'B2', 'B4', 'B5', 'B6', 'B8', 'B9'];
if (engineIds.some(want)) {
  await ensurePackages();
  const stack = await startStack({ log: (m) => ctx.log(`[stack] ${m}`) });
  ctx.stack = stack;
  ctx.docker = dockerFor(stack);
  ctx.raw = new RawEngine(stack.socketPath);
  try {
    await step('B1', () => b1(ctx));
    await step('B4', () => b4(ctx));
    if (['B2', 'B5', 'B6', 'B8'].some(want)) {
      const N = quick ? 20 : 1000;
      ctx.log(`creating the shared set: ${N} images, ${N / 5} containers`);
      const set = await makeSteadySet(ctx, N);
      await step('B2', () => b2(ctx, set));
      if (['B5', 'B6', 'B8'].some(want)) {
        const agent = new BenchAgent(stack);
        try {
          await agent.start();
          await step('B8', () => b8(ctx, agent, N));
          await step('B5', () => b5(ctx, agent, set));
          await step('B6', () => b6(ctx, agent, set));
        } finally {
          await agent.dispose();
        }
      }
    }
    await step('B9', () => b9(ctx));
    await cleanEngine(ctx.raw);
  } finally {
    ctx.raw.close();
    await stack.stop();
  }
}

const out = {
  date: new Date().toISOString(),
  mode: quick ? 'quick' : 'full',
  machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model, memGB: Math.round(totalmem() / 2 ** 30), node: process.version },
  fixtures: creationStats(),
  runSeconds: Math.round((performance.now() - runStarted) / 1000),
  results,
};
writeFileSync(join(resultsDir, 'latest.json'), `${JSON.stringify(out, null, 2)}\n`);

// the table
const cell = (s: { min: number; median: number; max: number }, unit: string) =>
  s.min === s.max ? fmt(s.median, unit) : `${fmt(s.min)} / ${fmt(s.median)} / ${fmt(s.max, unit)}`;
const rows: string[][] = [];
for (const r of results) {
  if (r.error) {
    rows.push([r.id, r.title, '', 'ERROR', '', '', '', r.error.slice(0, 120)]);
    continue;
  }
  r.metrics.forEach((m: Metric, i) => {
    rows.push([
      i === 0 ? r.id : '',
      m.name,
      cell(m.imagectl, m.unit),
      m.baseline ? `${m.baseline.name}: ${fmt(m.baseline.median, m.unit)}` : '',
      m.ratio === undefined ? '' : `${fmt(m.ratio)}×`,
      m.goal ?? '',
      m.verdict === 'n/a' ? (m.note ?? '') : m.verdict,
      m.verdict === 'n/a' ? '' : (m.note ?? ''),
    ]);
  });
}
const headers = ['#', 'figure', 'imagectl (min / median / max)', 'baseline (median)', 'ratio', 'goal', 'verdict', 'note'];
const line = (c: string[]) => `| ${c.join(' | ')} |`;
console.log(`\nimagectl benchmarks (${out.mode}, ${out.date}, ${out.machine.cpus} cores, node ${out.machine.node}); run ${out.runSeconds} s, ${out.fixtures.images} fixture images created in ${(out.fixtures.ms / 1000).toFixed(0)} s (not counted)\n`);
console.log([line(headers), line(headers.map(() => '---')), ...rows.map(line)].join('\n'));
for (const r of results) for (const n of r.notes) console.log(`\n${r.id}: ${n}`);
console.log(`\nresults: ${join(resultsDir, 'latest.json')}`);
if (results.some((r) => r.error)) process.exitCode = 1;
