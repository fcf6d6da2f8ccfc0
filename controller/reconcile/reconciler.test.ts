import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Reconciler, type ReconcilerOptions } from './reconciler.js';

/** The trigger's timing alone: runPass is replaced, so no engine or store is involved. */
function reconciler(passMs = 0): { rec: Reconciler; passes: number[] } {
  const rec = new Reconciler({ intervalMs: 60_000, log: { info() {}, warn() {}, error() {} } } as unknown as ReconcilerOptions);
  const passes: number[] = [];
  rec.runPass = (() => {
    passes.push(performance.now());
    return new Promise<void>((r) => setTimeout(r, passMs));
  }) as Reconciler['runPass'];
  return { rec, passes };
}

describe('engine events trigger passes', () => {
  beforeEach(() => vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] }));
  afterEach(() => vi.useRealTimers());

  it('the first event runs a pass 25 ms later, a burst makes one pass, a storm at most one per 100 ms', async () => {
    const { rec, passes } = reconciler();
    const t0 = performance.now();
    rec.trigger('event');
    await vi.advanceTimersByTimeAsync(5);
    rec.trigger('event'); // the same docker command's next event
    await vi.advanceTimersByTimeAsync(19);
    expect(passes).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(passes.map((t) => t - t0)).toEqual([25]);

    // a storm: an event every 10 ms for a second
    for (let i = 0; i < 100; i++) {
      rec.trigger('event');
      await vi.advanceTimersByTimeAsync(10);
    }
    const storm = passes.slice(1).map((t) => t - t0);
    expect(storm.length).toBeGreaterThanOrEqual(9);
    expect(storm.length).toBeLessThanOrEqual(11);
    for (let i = 1; i < passes.length; i++) expect(passes[i]! - passes[i - 1]!).toBeGreaterThanOrEqual(100);

    // quiet, then one event: 25 ms again
    await vi.advanceTimersByTimeAsync(5_000);
    const before = passes.length;
    const t1 = performance.now();
    rec.trigger('event');
    await vi.advanceTimersByTimeAsync(25);
    expect(passes.length).toBe(before + 1);
    expect(passes.at(-1)! - t1).toBe(25);
  });

  it('in a storm, the engine gets 100 ms without a pass after each pass that events caused', async () => {
    const { rec, passes } = reconciler(80);
    for (let i = 0; i < 200; i++) {
      rec.trigger('event');
      await vi.advanceTimersByTimeAsync(10);
    }
    await vi.advanceTimersByTimeAsync(1_000);
    // 2 s of events: a pass every 180 ms (80 ms of pass, 100 ms of quiet), and one for the last events
    expect(passes.length).toBeGreaterThanOrEqual(10);
    expect(passes.length).toBeLessThanOrEqual(13);
    for (let i = 1; i < passes.length; i++) expect(passes[i]! - passes[i - 1]!).toBeGreaterThanOrEqual(180);
  });

  it('other triggers run a pass at once', () => {
    const { rec, passes } = reconciler();
    rec.trigger('apply');
    rec.trigger('due');
    expect(passes).toHaveLength(2);
  });
});
