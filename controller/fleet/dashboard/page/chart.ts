/**
 * Bytes reclaimed across the fleet over the last 24 h, drawn with uPlot (a small canvas chart
 * library, MIT): a stepped line of the running total, one step per minute that freed something.
 * The numbers are also in words beside it (the figure's caption), for who cannot see the canvas.
 */
import uPlot from 'uplot';
import { humanBytes } from '../format.js';
import type { ReclaimedBucket } from '../wire.js';
import { setText } from './dom.js';

const DAY_S = 24 * 3600;

/**
 * The running total per bucket up to `nowS`, over the last 24 h, but starting no earlier than 10
 * minutes before the first bucket (at least an hour shown), so that a fleet that began to
 * reclaim an hour ago shows its curve rather than a step at the right edge (pure).
 */
export function cumulative(buckets: ReadonlyMap<number, number>, nowS: number): [number[], number[]] {
  const inDay = [...buckets.entries()].filter(([t]) => t >= nowS - DAY_S).sort((a, b) => a[0] - b[0]);
  const first = inDay[0]?.[0];
  const span = first === undefined ? 3600 : Math.min(DAY_S, Math.max(3600, nowS - first + 600));
  const xs = [nowS - span];
  const ys = [0];
  let total = 0;
  for (const [t, b] of inDay) {
    total += b;
    xs.push(t);
    ys.push(total);
  }
  xs.push(Math.max(nowS, xs[xs.length - 1]!));
  ys.push(total);
  return [xs, ys];
}

export class ReclaimedChart {
  private readonly buckets = new Map<number, number>();
  private plot: uPlot | null = null;
  private dirty = false;

  constructor(private readonly host: HTMLElement, private readonly caption: HTMLElement) {
    new ResizeObserver(() => this.plot?.setSize(this.size())).observe(host);
  }

  /** Buckets given again replace their value; `replace`: these are all of them. */
  set(buckets: readonly ReclaimedBucket[], replace = false): void {
    if (replace) this.buckets.clear();
    for (const [t, b] of buckets) this.buckets.set(t, b);
    this.dirty = this.dirty || replace || buckets.length > 0;
  }

  render(): void {
    if (!this.dirty && this.plot) return;
    this.dirty = false;
    const data = cumulative(this.buckets, Math.floor(Date.now() / 1000));
    const total = data[1][data[1].length - 1]!;
    setText(this.caption, `Bytes reclaimed across the fleet in the last 24 hours: ${humanBytes(total)} in total.`);
    if (this.plot) {
      this.plot.setData(data);
      return;
    }
    this.plot = new uPlot(this.options(), data, this.host);
  }

  private size(): { width: number; height: number } {
    return { width: Math.max(240, this.host.clientWidth), height: 220 };
  }

  private options(): uPlot.Options {
    return {
      ...this.size(),
      legend: { show: false },
      cursor: { show: true, drag: { x: false, y: false } },
      scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, Math.max(1, max * 1.1)] } },
      axes: [
        { stroke: '#555', grid: { stroke: '#e3e3e3' } },
        { stroke: '#555', grid: { stroke: '#e3e3e3' }, size: 70, values: (_u, splits) => splits.map((v) => humanBytes(v)) },
      ],
      series: [
        {},
        { label: 'reclaimed', stroke: '#1f6feb', width: 2, fill: 'rgba(31, 111, 235, 0.12)', paths: uPlot.paths.stepped!({ align: 1 }), points: { show: false } },
      ],
    };
  }
}
