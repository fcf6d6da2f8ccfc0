import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Loop, PassError, type PassResult } from './loop.js';

/** A loop whose pass only records when it ran (and takes `passMs`), with the reconciler's event timing. */
function loop(passMs = 0, result: (n: number) => PassResult | Error = () => ({ requeueAfter: null })) {
  const passes: number[] = [];
  const reasons: string[] = [];
  const l = new Loop({
    debounce: { settleMs: 25, gapMs: 100 },
    reconcile: async (reason) => {
      passes.push(performance.now());
      reasons.push(reason);
      if (passMs > 0) await new Promise((r) => setTimeout(r, passMs));
      const r = result(passes.length);
      if (r instanceof Error) throw r;
      return r;
    },
  });
  return { l, passes, reasons };
}

describe('the loop: engine events trigger passes', () => {
  beforeEach(() => vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'performance'] }));
  afterEach(() => vi.useRealTimers());

  it('the first event runs a pass 25 ms later, a burst makes one pass, a storm at most one per 100 ms', async () => {
    const { l, passes } = loop();
    const t0 = performance.now();
    l.soon('event');
    await vi.advanceTimersByTimeAsync(5);
    l.soon('event'); // the same docker command's next event
    await vi.advanceTimersByTimeAsync(19);
    expect(passes).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(passes.map((t) => t - t0)).toEqual([25]);

    // a storm: an event every 10 ms for a second
    for (let i = 0; i < 100; i++) {
      l.soon('event');
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
    l.soon('event');
    await vi.advanceTimersByTimeAsync(25);
    expect(passes.length).toBe(before + 1);
    expect(passes.at(-1)! - t1).toBe(25);
  });

  it('in a storm, the engine gets 100 ms without a pass after each pass that events caused', async () => {
    const { l, passes } = loop(80);
    for (let i = 0; i < 200; i++) {
      l.soon('event');
      await vi.advanceTimersByTimeAsync(10);
    }
    await vi.advanceTimersByTimeAsync(1_000);
    // 2 s of events: a pass every 180 ms (80 ms of pass, 100 ms of quiet), and one for the last events
    expect(passes.length).toBeGreaterThanOrEqual(10);
    expect(passes.length).toBeLessThanOrEqual(13);
    for (let i = 1; i < passes.length; i++) expect(passes[i]! - passes[i - 1]!).toBeGreaterThanOrEqual(180);
  });

  it('other triggers run a pass at once; one during a pass runs one more after it, never two', async () => {
    const { l, passes, reasons } = loop(50);
    const t0 = performance.now();
    void l.run('apply');
    await vi.advanceTimersByTimeAsync(0);
    expect(passes.map((t) => t - t0)).toEqual([0]);
    void l.run('due');
    void l.run('rmi');
    await vi.advanceTimersByTimeAsync(200);
    expect(passes.map((t) => t - t0)).toEqual([0, 50]);
    expect(reasons).toEqual(['apply', 'due']);
    expect(l.stats).toMatchObject({ maxConcurrent: 1, coalesced: 1, running: 0 });
  });
});

describe('the loop: what a pass returns', () => {
  beforeEach(() => vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'performance'] }));
  afterEach(() => vi.useRealTimers());

  it('runs again after requeueAfter, and not at all after null', async () => {
    const { l, passes, reasons } = loop(0, (n) => ({ requeueAfter: n === 1 ? 1_000 : null }));
    void l.run('start');
    await vi.advanceTimersByTimeAsync(0);
    await vi.advanceTimersByTimeAsync(999);
    expect(passes).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(reasons).toEqual(['start', 'due']);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(passes).toHaveLength(2);
  });

  it('retries a failed pass with backoff (0.5 s, 1 s, 2 s … 10 s) and starts over after a success', async () => {
    const { l, passes, reasons } = loop(0, (n) => (n <= 6 || n === 8 ? new PassError('engine down') : { requeueAfter: null }));
    const t0 = performance.now();
    void l.run('start');
    await vi.advanceTimersByTimeAsync(0);
    await vi.advanceTimersByTimeAsync(40_000);
    expect(passes.map((t) => t - t0)).toEqual([0, 500, 1_500, 3_500, 7_500, 15_500, 25_500]);
    expect(reasons.slice(1).every((r) => r === 'retry')).toBe(true);
    void l.run('apply'); // fails: retried 0.5 s later again
    await vi.advanceTimersByTimeAsync(600);
    expect(passes.map((t) => t - t0).slice(7)).toEqual([40_000, 40_500]);
  });

  it('a failed pass that knows the next due moment keeps that timer as well as the retry', async () => {
    const { l, reasons } = loop(0, (n) => (n === 1 ? new PassError('a removal failed', 200) : { requeueAfter: null }));
    void l.run('start');
    await vi.advanceTimersByTimeAsync(0);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(reasons).toEqual(['start', 'due', 'retry']);
  });

  it('with restart (the manifests watch), each trigger starts the wait again', async () => {
    const passes: number[] = [];
    const l = new Loop({ debounce: { settleMs: 300, restart: true }, reconcile: async () => void passes.push(performance.now()) });
    const t0 = performance.now();
    for (let i = 0; i < 5; i++) {
      l.soon('change');
      await vi.advanceTimersByTimeAsync(200);
    }
    expect(passes).toEqual([]);
    await vi.advanceTimersByTimeAsync(100);
    expect(passes.map((t) => t - t0)).toEqual([1_100]);
  });
});
