/**
 * B9 — apply: N manifests (one ImagePolicy of 2 rules each) in one directory.
 * End to end: `imagectl apply -f DIR` as a process, against a fresh agent each repetition on the
 * shared engine set (the apply returns after the pass it triggers). The diff of that set:
 * `imagectl diff -f DIR` right after (no differences: exit 0). Also, as information, the server
 * dry run of the same set (every object unchanged, plus the plan) and a re-apply.
 * Baseline: `imagectl version --client`, the CLI's own floor (Node start + module loading).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { Ctx } from './lib/context.js';
import { engineOf } from './lib/context.js';
import { BenchAgent } from './lib/agent.js';
import { timed } from './lib/spawn.js';
import { metric, ms, type BenchResult } from './lib/stats.js';
import { synthPolicies } from './lib/synthetic.js';
import { B2_NS } from './b2-steady.js';
import { BIN, NODE_FLAGS } from '../helpers/agent.js';

export async function b9(ctx: Ctx): Promise<BenchResult> {
  const started = performance.now();
  const { stack } = engineOf(ctx);
  const N = ctx.quick ? 20 : 500;
  const dir = mkdtempSync(join(tmpdir(), 'ictl-b9-'));
  const apply: number[] = [];
  const diff: number[] = [];
  const dry: number[] = [];
  const floor: number[] = [];
  const reapply: number[] = [];
  try {
    synthPolicies(B2_NS, N, 2, 9).forEach((p, i) => writeFileSync(join(dir, `policy-${String(i).padStart(4, '0')}.yaml`), stringify(p)));
    for (let rep = 0; rep < ctx.reps; rep++) {
      const agent = new BenchAgent(stack);
      try {
        await agent.start();
        const env = agent.proc.env;
        floor.push((await timed(process.execPath, [...NODE_FLAGS, BIN, 'version', '--client'], env)).ms);
        const a = await timed(process.execPath, [...NODE_FLAGS, BIN, 'apply', '-f', dir], env);
        if (a.code !== 0 || a.stdout.split('\n').filter((l) => l.endsWith(' created')).length !== N) throw new Error(`B9: apply: ${a.stderr}\n${a.stdout.slice(0, 500)}`);
        apply.push(a.ms);
        const d = await timed(process.execPath, [...NODE_FLAGS, BIN, 'diff', '-f', dir], env);
        if (d.code !== 0) throw new Error(`B9: diff found differences or failed (exit ${d.code}): ${d.stderr}\n${d.stdout.slice(0, 500)}`);
        diff.push(d.ms);
        const s = await timed(process.execPath, [...NODE_FLAGS, BIN, 'apply', '-f', dir, '--dry-run=server'], env);
        if (s.code !== 0 || s.stdout.split('\n').filter((l) => l.includes(' unchanged')).length !== N) throw new Error(`B9: dry run: ${s.stderr}\n${s.stdout.slice(0, 500)}`);
        dry.push(s.ms);
        const r = await timed(process.execPath, [...NODE_FLAGS, BIN, 'apply', '-f', dir], env);
        if (r.code !== 0) throw new Error(`B9: re-apply: ${r.stderr}`);
        reapply.push(r.ms);
      } finally {
        await agent.dispose();
      }
      ctx.log(`B9 rep ${rep + 1}: apply ${apply.at(-1)!.toFixed(0)} ms, diff ${diff.at(-1)!.toFixed(0)} ms`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const med = (a: number[]) => [...a].sort((x, y) => x - y)[a.length >> 1]!;
  return {
    id: 'B9',
    title: `apply: ${N} manifests in one directory`,
    params: { manifests: N, rulesEach: 2 },
    reps: ctx.reps,
    metrics: [
      metric('apply -f DIR, end to end', 'ms', apply, { baseline: { name: 'imagectl version --client (CLI floor)', samples: floor }, goal: '≤ 1000 ms', met: med(apply) <= 1000 }),
      metric('diff -f DIR of the same set (no differences)', 'ms', diff, { goal: '≤ 1000 ms', met: med(diff) <= 1000 }),
      metric('apply --dry-run=server of the same set', 'ms', dry, { note: 'info' }),
      metric('re-apply of the unchanged set', 'ms', reapply, { note: 'info' }),
    ],
    notes: [],
    durationMs: ms(started),
  };
}
