import { describe, expect, it } from 'vitest';
import type { DiskBudget } from '../../crd/imagepolicy/disk-pressure.js';
import type { PersistedImage } from '../../statemachines/runtime.js';
import type { FsUsage } from '../disk/meter.js';
import { afterFreeing, exceeded, pressureGoal, pressureOrder, pressureReason, reached, wouldRemove, type Usage } from './pressure.js';

const MB = 1e6;
function img(id: string, o: Partial<PersistedImage['context']> & { state?: PersistedImage['state'] } = {}): [string, PersistedImage] {
  const { state = 'idle', ...ctx } = o;
  return [id, {
    state,
    context: {
      id, tags: [`app/${id}:1`], repoDigests: [], sizeBytes: 10 * MB, agentDownloaded: false, downloadedAt: null, firstSeenAt: 0,
      lastUsedAt: state === 'in-use' ? null : 1_000, rule: 'p/removal[0]', deleteAfterMs: 30 * 86_400_000, protectedBy: null,
      usedBy: state === 'in-use' ? ['c1'] : [], removedAt: null, lastError: null, reason: '', ...ctx,
    },
  }];
}
const fs = (usedPercent: number, total = 1000 * MB): FsUsage => ({ path: '/var/lib/docker', totalBytes: total, usedBytes: (total * usedPercent) / 100, availableBytes: total - (total * usedPercent) / 100, usedPercent });
const percent = (high = 85, low = 80, minAgeMs = 120_000, policy = 'p'): DiskBudget => ({ policy, form: 'percent', high, low, minAgeMs, minAge: '2m' });
const bytesBudget = (max: number, target: number, policy = 'b'): DiskBudget => ({ policy, form: 'bytes', max, target, minAgeMs: 0, minAge: '0s' });
const NOW = 10_000_000;

describe('the eviction order (pure: candidates, usage, budgets)', () => {
  it('least recently used first, ties: more unique bytes first, then the ID', () => {
    const images = new Map([img('c', { lastUsedAt: 3_000 }), img('a', { lastUsedAt: 2_000 }), img('b', { lastUsedAt: 2_000 }), img('d', { lastUsedAt: 1_000 })]);
    const unique = new Map([['a', 5 * MB], ['b', 9 * MB]]);
    expect(pressureOrder({ images, parents: new Map(), unique, now: NOW, minAgeMs: 0 }).order).toEqual(['d', 'b', 'a', 'c']);
    expect(pressureOrder({ images, parents: new Map(), unique: null, now: NOW, minAgeMs: 0 }).order).toEqual(['d', 'a', 'b', 'c']);
  });

  it('never an image in use, kept, workload-referenced, refused, matched by no rule, due by age, or idle for less than minAge', () => {
    const images = new Map([
      img('used', { state: 'in-use' }),
      img('kept', { protectedBy: 'keep p/keep[0] (base:*)' }),
      img('wl', { protectedBy: 'workload sensor' }),
      img('norule', { rule: null, protectedBy: 'no rule matches' }),
      img('nomatch', { rule: null }),
      img('due', { state: 'removable' }),
      img('young', { lastUsedAt: NOW - 60_000 }),
      img('gone', { state: 'removed' }),
      img('ok', { lastUsedAt: NOW - 120_000 }),
      img('late', { lastUsedAt: 5 }),
    ]);
    const o = pressureOrder({ images, parents: new Map(), unique: null, now: NOW, minAgeMs: 120_000, protectedNow: (id) => (id === 'late' ? 'workload applied just now' : null) });
    expect(o.order).toEqual(['ok']);
    expect(Object.fromEntries(o.excluded)).toEqual({
      used: 'in use by c1', kept: 'protected: keep p/keep[0] (base:*)', wl: 'protected: workload sensor', norule: 'protected: no rule matches',
      nomatch: 'no removal rule matches it', due: 'due for removal by its rule', young: 'idle 1m0s, less than minAge 2m0s', late: 'protected: workload applied just now',
    });
  });

  it('children before their parent; a parent with a child that is no candidate is none', () => {
    // base <- mid <- leaf, all idle; leaf used most recently, base least: the order still puts the children first
    const images = new Map([img('sha256:base0000000000', { lastUsedAt: 1 }), img('sha256:mid00000000000', { lastUsedAt: 2 }), img('sha256:leaf0000000000', { lastUsedAt: 3 }), img('sha256:other000000000', { lastUsedAt: 2 })]);
    const parents = new Map([['sha256:mid00000000000', 'sha256:base0000000000'], ['sha256:leaf0000000000', 'sha256:mid00000000000']]);
    expect(pressureOrder({ images, parents, unique: null, now: NOW, minAgeMs: 0 }).order).toEqual(['sha256:other000000000', 'sha256:leaf0000000000', 'sha256:mid00000000000', 'sha256:base0000000000']);
    images.set(...img('sha256:leaf0000000000', { state: 'in-use' }));
    const o = pressureOrder({ images, parents, unique: null, now: NOW, minAgeMs: 0 });
    expect(o.order).toEqual(['sha256:other000000000']);
    expect(o.excluded.get('sha256:mid00000000000')).toBe('its child image leaf00000000 is not a candidate');
    expect(o.excluded.get('sha256:base0000000000')).toBe('its child image mid000000000 is not a candidate');
  });
});

describe('budgets: pressure at >= high, removal until < low; several combine', () => {
  it('usedPercent with decimals against the thresholds', () => {
    expect(exceeded(percent(), { fs: fs(84.99), imageBytes: null })).toBe(false);
    expect(exceeded(percent(), { fs: fs(85), imageBytes: null })).toBe(true);
    expect(reached({ active: [percent()], minAgeMs: 0 }, { fs: fs(80), imageBytes: null })).toBe(false);
    expect(reached({ active: [percent()], minAgeMs: 0 }, { fs: fs(79.99), imageBytes: null })).toBe(true);
    expect(exceeded(percent(), { fs: null, imageBytes: null })).toBeNull();
    expect(exceeded(bytesBudget(100, 80), { fs: null, imageBytes: 100 })).toBe(false);
    expect(exceeded(bytesBudget(100, 80), { fs: null, imageBytes: 101 })).toBe(true);
  });

  it('each budget on its own; the exceeded ones drive removal until each is below its target; the shortest minAge of them applies', () => {
    const a = percent(85, 80, 600_000, 'a');
    const b = percent(90, 70, 60_000, 'b');
    const c = percent(95, 50, 0, 'c');
    expect(pressureGoal([a, b, c], { fs: fs(87), imageBytes: null })).toEqual({ active: [a], minAgeMs: 600_000 });
    const g = pressureGoal([a, b, c], { fs: fs(91), imageBytes: null })!;
    expect(g).toEqual({ active: [a, b], minAgeMs: 60_000 });
    expect(reached(g, { fs: fs(75), imageBytes: null })).toBe(false); // b's target is 70
    expect(reached(g, { fs: fs(69), imageBytes: null })).toBe(true);
    expect(pressureGoal([a, b, c], { fs: fs(50), imageBytes: null })).toBeNull();
  });

  it('wouldRemove: the shortest prefix of the order whose unique bytes reach the target', () => {
    const u: Usage = { fs: fs(91), imageBytes: null };
    const g = pressureGoal([percent()], u)!;
    const unique = new Map([['x', 50 * MB], ['y', 50 * MB], ['z', 50 * MB], ['w', 50 * MB]]);
    // 91% of 1000MB: 110MB to free to get below 80%: three images of 50MB
    expect(wouldRemove(['x', 'y', 'z', 'w'], u, g, unique)).toEqual(['x', 'y', 'z']);
    expect(afterFreeing(u, 110 * MB).fs!.usedPercent).toBeCloseTo(80);
    expect(wouldRemove(['x'], u, null, unique)).toEqual([]);
  });

  it('the audit reason names the pressure, the path, the thresholds and what the image frees', () => {
    const u: Usage = { fs: fs(91), imageBytes: null };
    expect(pressureReason(pressureGoal([percent()], u)!, u, 120 * MB)).toBe('disk pressure: /var/lib/docker 91% >= 85% (target 80%), least recently used; frees 120MB');
    const ub: Usage = { fs: null, imageBytes: 10.5e9 };
    expect(pressureReason(pressureGoal([bytesBudget(10e9, 8e9)], ub)!, ub, 5 * MB)).toBe('disk pressure: images 10.5GB > 10GB (target 8GB), least recently used; frees 5MB');
    expect(pressureReason(pressureGoal([percent()], { fs: fs(80), imageBytes: null }, 60 * MB)!, { fs: fs(80), imageBytes: null }, 1e6, { extraBytes: 60 * MB, why: 'room for the pull of app:2 (needs 60MB)' })).toBe('disk pressure: room for the pull of app:2 (needs 60MB): /var/lib/docker 86% >= 85% (target 80%), least recently used; frees 1MB');
    // a later removal of the same run says where usage is by then
    expect(pressureReason(pressureGoal([percent()], u)!, u, 50 * MB, { now: { fs: fs(83.25), imageBytes: null } })).toBe('disk pressure: /var/lib/docker 91% >= 85% (target 80%; now 83.3%), least recently used; frees 50MB');
  });
});
