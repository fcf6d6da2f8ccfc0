/**
 * B8 — `imagectl get images` with N images: wall time of the real CLI process against a real
 * agent, alternating with `docker images` (the Debian docker CLI, -H to the stack's engine).
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Ctx } from './lib/context.js';
import { engineOf } from './lib/context.js';
import type { BenchAgent } from './lib/agent.js';
import { summarizeProfile } from './lib/profile.js';
import { timed } from './lib/spawn.js';
import { metric, ms, type BenchResult } from './lib/stats.js';
import { BIN, NODE_FLAGS } from '../helpers/agent.js';

const DOCKER = '/usr/bin/docker';

export async function b8(ctx: Ctx, agent: BenchAgent, nImages: number): Promise<BenchResult> {
  const started = performance.now();
  const { stack } = engineOf(ctx);
  const REPS = ctx.quick ? 3 : 10;
  const env = agent.proc.env;
  const ictl: number[] = [];
  const docker: number[] = [];
  const nodeFloor: number[] = [];
  const notes: string[] = [];
  // warm the page cache for both
  await timed(process.execPath, [...NODE_FLAGS, BIN, 'get', 'images'], env);
  await timed(DOCKER, ['-H', stack.dockerHost, 'images'], { DOCKER_CONFIG: tmpdir() });
  for (let i = 0; i < REPS; i++) {
    const a = await timed(process.execPath, [...NODE_FLAGS, BIN, 'get', 'images'], env);
    if (a.code !== 0) throw new Error(`B8: imagectl get images failed: ${a.stderr}`);
    const rows = a.stdout.trim().split('\n').length - 1;
    if (rows < nImages) throw new Error(`B8: imagectl listed ${rows} images, expected ≥ ${nImages}`);
    ictl.push(a.ms);
    const b = await timed(DOCKER, ['-H', stack.dockerHost, 'images'], { DOCKER_CONFIG: tmpdir() });
    if (b.code !== 0) throw new Error(`B8: docker images failed: ${b.stderr}`);
    docker.push(b.ms);
    nodeFloor.push((await timed(process.execPath, ['-e', '0'])).ms);
  }
  // where the CLI's time goes
  const dir = mkdtempSync(join(tmpdir(), 'ictl-b8prof-'));
  try {
    await timed(process.execPath, ['--cpu-prof', '--cpu-prof-dir', dir, BIN, 'get', 'images'], env);
    const file = join(dir, readdirSync(dir)[0]!);
    const s = summarizeProfile(file, 60);
    const pick = (re: RegExp) => s.total.filter((l) => re.test(l.fn)).slice(0, 6).map((l) => `${l.totalMs.toFixed(0)} ms ${l.fn}`);
    notes.push(`profile of one \`imagectl get images\` (${s.totalMs.toFixed(0)} ms sampled): ${pick(/dist\/|node_modules\/|evaluate|ModuleJob|run_main|loader/).join('; ')}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const med = (a: number[]) => [...a].sort((x, y) => x - y)[a.length >> 1]!;
  return {
    id: 'B8',
    title: `CLI: imagectl get images with ${nImages} images`,
    params: { images: nImages, reps: REPS },
    reps: REPS,
    metrics: [
      metric('wall time', 'ms', ictl, { baseline: { name: 'docker images', samples: docker }, goal: '≤ 2× docker images', met: med(ictl) / med(docker) <= 2 }),
      metric('`node -e 0` (Node startup floor)', 'ms', nodeFloor, { note: 'info' }),
    ],
    notes,
    durationMs: ms(started),
  };
}
