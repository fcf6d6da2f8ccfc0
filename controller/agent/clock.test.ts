import { describe, expect, it } from 'vitest';
import { agentClock, restartFloor } from './clock.js';

function fake(wall: number, mono = 1_000) {
  const s = { wall, mono };
  return { s, src: { wall: () => s.wall, mono: () => s.mono } };
}

describe('agentClock', () => {
  it('starts at the wall clock and advances with the monotonic clock only', () => {
    const { s, src } = fake(1_700_000_000_000);
    const c = agentClock(null, src);
    expect(c.now()).toBe(1_700_000_000_000);
    s.mono += 5_000;
    s.wall += 5_000;
    expect(c.now()).toBe(1_700_000_005_000);
    expect(c.skewMs()).toBe(0);
  });

  it('ignores a wall-clock jump forward during a run, and reports it as skew', () => {
    const { s, src } = fake(1_700_000_000_000);
    const c = agentClock(null, src);
    s.wall += 86_400_000; // +1 day
    s.mono += 1_000;
    expect(c.now()).toBe(1_700_000_001_000);
    expect(c.skewMs()).toBe(86_399_000);
  });

  it('ignores a wall-clock jump back during a run', () => {
    const { s, src } = fake(1_700_000_000_000);
    const c = agentClock(null, src);
    s.wall -= 3_600_000;
    s.mono += 2_000;
    expect(c.now()).toBe(1_700_000_002_000);
    expect(c.skewMs()).toBe(-3_602_000);
  });

  it('carries the previous run\'s clock forward within one boot, and falls back to the latest record across boots', () => {
    const anchor = { at: 1_700_000_000_000, mono: 50_000, bootId: 'b1' };
    expect(restartFloor(1_700_000_003_000, anchor, { mono: 60_000, bootId: 'b1' })).toBe(1_700_000_010_000);
    expect(restartFloor(1_700_000_003_000, anchor, { mono: 60_000, bootId: 'b2' })).toBe(1_700_000_003_000);
    expect(restartFloor(null, anchor, { mono: 40_000, bootId: 'b1' })).toBeNull(); // monotonic went back: not the same boot after all
    expect(restartFloor(null, null, { mono: 1, bootId: 'b1' })).toBeNull();
  });

  it('never starts behind the persisted floor (wall clock set back while the agent was down)', () => {
    const { src } = fake(1_700_000_000_000);
    expect(agentClock(1_700_000_600_000, src).now()).toBe(1_700_000_600_000);
    expect(agentClock(1_600_000_000_000, src).now()).toBe(1_700_000_000_000);
  });
});
