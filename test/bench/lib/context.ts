import type Dockerode from 'dockerode';
import type { Stack } from '../../stack/stack.js';
import type { RawEngine } from './engine.js';

export interface Ctx {
  quick: boolean;
  /** repetitions per side: 3, or 1 in --quick */
  reps: number;
  /** where results and profiles go */
  resultsDir: string;
  log(msg: string): void;
  /** present for the benchmarks that need the engine */
  stack?: Stack;
  docker?: Dockerode;
  raw?: RawEngine;
}

export function engineOf(ctx: Ctx): { stack: Stack; docker: Dockerode; raw: RawEngine } {
  if (!ctx.stack || !ctx.docker || !ctx.raw) throw new Error('this benchmark needs the test stack');
  return { stack: ctx.stack, docker: ctx.docker, raw: ctx.raw };
}
