/** Small statistics and result types shared by the benchmarks. */
import { readFileSync } from 'node:fs';

export interface Summary {
  min: number;
  median: number;
  max: number;
  /** every repetition's value, in run order */
  samples: number[];
}

export function summarize(samples: number[]): Summary {
  const s = [...samples].sort((a, b) => a - b);
  if (s.length === 0) return { min: NaN, median: NaN, max: NaN, samples: [] };
  const mid = s.length >> 1;
  const median = s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
  return { min: s[0]!, median, max: s.at(-1)!, samples };
}

/** The p-th percentile (0..100) by the nearest-rank method. */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
}

/** Least-squares slope of y over x. */
export function slope(xs: number[], ys: number[]): number {
  const n = xs.length;
  if (n < 2) return NaN;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    num += (xs[i]! - mx) * (ys[i]! - my);
    den += (xs[i]! - mx) ** 2;
  }
  return den === 0 ? NaN : num / den;
}

export type Verdict = 'met' | 'missed' | 'info' | 'n/a';

/** One line of the table: a measured figure, its baseline, and the goal it is held to. */
export interface Metric {
  name: string;
  unit: string;
  imagectl: Summary;
  baseline?: { name: string } & Summary;
  /** imagectl median / baseline median */
  ratio?: number;
  goal?: string;
  verdict: Verdict;
  note?: string;
}

export interface BenchResult {
  id: string;
  title: string;
  /** the sizes actually used (N images, rules, …) */
  params: Record<string, unknown>;
  reps: number;
  metrics: Metric[];
  notes: string[];
  durationMs: number;
  error?: string;
}

export function metric(
  name: string,
  unit: string,
  samples: number[],
  opts: { baseline?: { name: string; samples: number[] }; goal?: string; met?: boolean | null; note?: string } = {},
): Metric {
  const imagectl = summarize(samples);
  const baseline = opts.baseline ? { name: opts.baseline.name, ...summarize(opts.baseline.samples) } : undefined;
  const ratio = baseline && baseline.median !== 0 ? imagectl.median / baseline.median : undefined;
  const verdict: Verdict = opts.met === undefined || opts.met === null ? (opts.goal ? 'n/a' : 'info') : opts.met ? 'met' : 'missed';
  return { name, unit, imagectl, baseline, ratio, goal: opts.goal, verdict, note: opts.note };
}

export const ms = (t0: number) => performance.now() - t0;

export function fmt(v: number | undefined, unit = ''): string {
  if (v === undefined || Number.isNaN(v)) return '–';
  const a = Math.abs(v);
  const s = a >= 1000 ? v.toFixed(0) : a >= 100 ? v.toFixed(0) : a >= 10 ? v.toFixed(1) : a >= 1 ? v.toFixed(2) : v.toFixed(3);
  return unit ? `${s} ${unit}` : s;
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** CPU time a process has used so far (user + system, every thread), ms, from /proc (Linux, 100 ticks a second). */
export function cpuMsOf(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(f[11]) + Number(f[12])) * 10;
}
