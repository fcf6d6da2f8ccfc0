import { describe, expect, it } from 'vitest';
import type { PersistedImage } from '../../statemachines/runtime.js';
import type { LoopSnapshot } from '../reconcile/state.js';
import { diskView, evictionOf } from './disk-view.js';

const MB = 1e6;
const img = (id: string, lastUsedAt: number, o: Partial<PersistedImage['context']> = {}, state: PersistedImage['state'] = 'idle'): [string, PersistedImage] => [id, {
  state,
  context: { id, tags: [`${id}:1`], repoDigests: [], sizeBytes: 50 * MB, agentDownloaded: false, downloadedAt: null, firstSeenAt: 0, lastUsedAt, rule: 'p/removal[0]', deleteAfterMs: 1, protectedBy: null, usedBy: [], removedAt: null, lastError: null, reason: '', ...o },
}];

function snap(usedPercent: number): LoopSnapshot {
  const total = 1000 * MB;
  const images = new Map([img('old', 1), img('mid', 2), img('new', 3), img('kept', 0, { protectedBy: 'keep p/keep[0] (kept:*)' })]);
  return {
    now: 1_000_000, images, lastObservation: { images: [], containers: [] },
    disk: {
      at: 999_000,
      budgets: [{ policy: 'p', form: 'percent', high: 85, low: 80, minAgeMs: 0, minAge: '0s' }, { policy: 'q', form: 'bytes', max: 900 * MB, target: 800 * MB, minAgeMs: 0, minAge: '0s' }],
      usage: { fs: { path: '/var/lib/docker', totalBytes: total, usedBytes: (usedPercent * total) / 100, availableBytes: total - (usedPercent * total) / 100, usedPercent }, imageBytes: 300 * MB },
      error: null,
    },
  } as unknown as LoopSnapshot;
}
const unique = { imageBytes: 300 * MB, unique: new Map([['old', 50 * MB], ['mid', 50 * MB], ['new', 50 * MB], ['kept', 50 * MB]]) };

describe('plan -o json disk, and describe image\'s place in the eviction order', () => {
  it('reports both forms, whether under pressure, and the least recently used prefix pressure would remove', () => {
    const s = snap(91);
    expect(diskView(s, s.disk!.budgets, s.images, unique)).toEqual({
      path: '/var/lib/docker', usedPercent: 91, highThresholdPercent: 85, lowThresholdPercent: 80,
      imageBytes: 300 * MB, maxImageBytes: 900 * MB, targetImageBytes: 800 * MB,
      underPressure: true, wouldRemove: ['old', 'mid', 'new'], error: null, measuredAt: new Date(999_000).toISOString(),
      budgets: [
        { policy: 'p', form: 'percent', highThresholdPercent: 85, lowThresholdPercent: 80, minAge: '0s', exceeded: true },
        { policy: 'q', form: 'bytes', maxImageBytes: 900 * MB, targetImageBytes: 800 * MB, minAge: '0s', exceeded: false },
      ],
    });
    expect(diskView(snap(82), snap(82).disk!.budgets, snap(82).images, unique)).toMatchObject({ underPressure: false, wouldRemove: [] });
    expect(diskView(snap(91), [], new Map(), unique)).toBeNull();
    // a server dry run of a new budget: the last measurement under the budget it would bring
    expect(diskView({ ...snap(91), disk: { ...snap(91).disk!, budgets: [] } }, snap(91).disk!.budgets.slice(0, 1), snap(91).images, unique)).toMatchObject({ underPressure: true, wouldRemove: ['old', 'mid', 'new'] });
  });

  it('says where an image stands, and why one is no candidate', () => {
    const s = snap(86);
    expect(evictionOf(s, 'old', unique)).toEqual({ position: 1, candidates: 3, reason: null, wouldRemoveNow: true });
    expect(evictionOf(s, 'new', unique)).toEqual({ position: 3, candidates: 3, reason: null, wouldRemoveNow: false });
    expect(evictionOf(s, 'kept', unique)).toEqual({ position: null, candidates: 3, reason: 'protected: keep p/keep[0] (kept:*)', wouldRemoveNow: false });
  });
});
