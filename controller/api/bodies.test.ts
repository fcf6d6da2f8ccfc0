import { describe, expect, it } from 'vitest';
import { ByteBudget } from './bodies.js';

describe('ByteBudget', () => {
  // finding 10 of the security issue: 30 concurrent 6 MB applies, no bound on bodies in flight
  it('lets bodies in while they fit, makes the rest wait in arrival order, and never holds more than its capacity', async () => {
    const b = new ByteBudget(16);
    const order: number[] = [];
    let peak = 0;
    const run = async (i: number, n: number) => {
      const release = await b.acquire(n);
      peak = Math.max(peak, b.inUse.bytes);
      order.push(i);
      await new Promise((r) => setTimeout(r, 5));
      release();
      release(); // twice is once
    };
    await Promise.all([run(0, 6), run(1, 6), run(2, 6), run(3, 1), run(4, 40), run(5, 0)]);
    expect(peak).toBeLessThanOrEqual(16);
    expect(order).toEqual([0, 1, 2, 3, 4, 5]);
    expect(b.inUse).toEqual({ bytes: 0, waiting: 0 });
  });
});
