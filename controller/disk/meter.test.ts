import { describe, expect, it } from 'vitest';
import type { EngineClient } from '../engine/client.js';
import { DiskMeter, imageSetKey, usedPercentOf } from './meter.js';

/** A stand-in for the engine's /system/df (the real one is exercised by test/disk-pressure.test.ts): counts the calls. */
function fakeEngine(images: string[][]) {
  let n = 0;
  const engine = {
    systemDf: async () => {
      const ids = images[Math.min(n++, images.length - 1)]!;
      await new Promise((r) => setTimeout(r, 5));
      return { LayersSize: ids.length * 10, Images: ids.map((Id) => ({ Id, Size: 10, SharedSize: 4 })) };
    },
  };
  return { engine: engine as unknown as EngineClient, calls: () => n };
}

describe('DiskMeter: /system/df asked only when needed', () => {
  it('keeps an answer for the images it is about; a keyed caller shares it, one in flight included; an unkeyed one asks anew', async () => {
    const { engine, calls } = fakeEngine([['a', 'b'], ['a']]);
    const m = new DiskMeter(engine);
    const first = m.images(imageSetKey(['a', 'b']));
    const got = await m.images(imageSetKey(['b', 'a']));
    expect(await first).toBe(got);
    expect(calls()).toBe(1);
    expect(got).toEqual({ imageBytes: 20, unique: new Map([['a', 6], ['b', 6]]) });
    expect(await m.images(imageSetKey(['a', 'b']))).toBe(got);
    expect(calls()).toBe(1);
    // after a removal: asked again, and kept for the new set
    expect((await m.images()).imageBytes).toBe(10);
    expect(calls()).toBe(2);
    expect(m.cached(imageSetKey(['a']))?.imageBytes).toBe(10);
    expect(m.cached(imageSetKey(['a', 'b']))).toBeNull();
  });

  it('usedPercent = 100 × (blocks − available) / blocks, with decimals', () => {
    expect(usedPercentOf({ blocks: 1000, bavail: 123 })).toBeCloseTo(87.7);
    expect(usedPercentOf({ blocks: 0, bavail: 0 })).toBe(0);
  });
});
