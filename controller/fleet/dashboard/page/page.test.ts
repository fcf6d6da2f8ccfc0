/** The page's pure parts, without a browser (the browser end to end is test/fleet/dashboard.test.ts). */
import { describe, expect, it } from 'vitest';
import type { ActivityItem, DeviceRow } from '../wire.js';
import { changeText } from './activity.js';
import { cumulative } from './chart.js';
import { COLUMNS, comparator } from './columns.js';
import { selectorFrom } from './filter.js';
import { holdersSummary } from './images.js';
import { countRollout } from './rollout.js';
import { emptyBatch, mergeChanges, mergeSnapshot } from './stream.js';
import { keepRecent } from '../recent.js';

const row = (name: string, over: Partial<DeviceRow> = {}): DeviceRow => ({
  name, labels: {}, ready: true, reason: 'Applied', lastSeen: '2026-03-01T12:00:00Z', appliedRevision: 3, disk: null, images: 0, freed24h: 0, ...over,
});

describe('the page', () => {
  it('counts the rollout over the selected rows and lists the laggards', () => {
    const c = countRollout([row('a'), row('b', { appliedRevision: 2 }), row('c', { appliedRevision: null })], 3);
    expect([c.applied, c.total, c.laggards.map((r) => r.name)]).toEqual([1, 3, ['b', 'c']]);
  });

  it('sorts naturally, ties by name, both ways', () => {
    const rows = [row('node-10', { images: 2 }), row('node-9', { images: 2 }), row('node-1', { images: 5 })];
    const by = (key: string, dir: 1 | -1) => [...rows].sort(comparator(COLUMNS.find((c) => c.key === key)!, dir)).map((r) => r.name);
    expect(by('name', 1)).toEqual(['node-1', 'node-9', 'node-10']);
    expect(by('images', 1)).toEqual(['node-9', 'node-10', 'node-1']);
    expect(by('images', -1)).toEqual(['node-1', 'node-9', 'node-10']);
    expect(by('revision', 1)).toEqual(['node-1', 'node-9', 'node-10']);
  });

  it('merges what arrives between two frames: a row changed twice once, a snapshot replaces all', () => {
    let b = emptyBatch();
    b = mergeChanges(b, { upsert: [row('a', { images: 1 })], remove: [], activity: [], reclaimed: [] });
    b = mergeChanges(b, { upsert: [row('a', { images: 2 }), row('b')], remove: ['c'], activity: [], reclaimed: [[60, 5]] });
    b = mergeChanges(b, { upsert: [], remove: ['b'], activity: [], reclaimed: [] });
    expect([...b.upsert.values()].map((r) => [r.name, r.images])).toEqual([['a', 2]]);
    expect([...b.remove]).toEqual(['c', 'b']);
    const s = mergeSnapshot(b, { devices: [row('z')], rollout: { revision: 9, publishedAt: null, publisher: null, objects: 1 }, activity: [], reclaimed: [], now: '' });
    expect([s.replace, [...s.upsert.keys()], s.remove.size, s.rollout?.revision]).toEqual([true, ['z'], 0, 9]);
  });

  it('draws the reclaimed bytes as a running total over the last 24 h, from shortly before the first', () => {
    const now = 100_000;
    const [xs, ys] = cumulative(new Map([[now - 90_000, 7], [now - 600, 5], [now - 60, 2]]), now);
    expect(xs).toEqual([now - 3600, now - 600, now - 60, now]);
    expect(ys).toEqual([0, 5, 7, 7]);
    expect(cumulative(new Map([[now - 20_000, 1]]), now)[0]).toEqual([now - 20_600, now - 20_000, now]);
    expect(cumulative(new Map([[now - 86_000, 1]]), now)[0][0]).toBe(now - 86_400);
    expect(cumulative(new Map(), now)).toEqual([[now - 3600, now], [0, 0]]);
  });

  it('parses the label selector with the CLI\'s parser', () => {
    expect(selectorFrom('  ')).toEqual({ ok: true, requirements: null });
    expect(selectorFrom('group=even,shard in (1,2)')).toMatchObject({ ok: true, requirements: [{ key: 'group', operator: '=', values: ['even'] }, { key: 'shard', operator: 'in', values: ['1', '2'] }] });
    expect(selectorFrom('group in (').ok).toBe(false);
  });

  it('keeps the newest removals and the newest other records, each up to the cap', () => {
    const r = (seq: number, to: string) => ({ seq, to });
    const kept = keepRecent([r(9, 'succeeded'), r(8, 'succeeded'), r(7, 'removed'), r(6, 'succeeded'), r(5, 'removed'), r(4, 'removed')], 2);
    expect(kept.map((k) => k.seq)).toEqual([9, 8, 7, 5]);
  });

  it('says who holds an image and in which state; what changed in an audit record', () => {
    const h = (node: string, state: string) => ({ node, state, id: 'x', tags: [], sizeBytes: 0, lastUsedAt: null, reason: '' });
    expect(holdersSummary([h('a', 'in-use'), h('b', 'idle'), h('c', 'in-use'), h('d', 'removed')])).toBe('Held by 3 devices: 2 in-use, 1 idle; removed from 1.');
    expect(holdersSummary([])).toBe('No selected device holds it.');
    const a = { from: 'removable', to: 'removed', event: 'removed' } as ActivityItem;
    expect(changeText(a)).toBe('removable → removed');
    expect(changeText({ ...a, from: null, event: 'api.rmi', to: 'succeeded' })).toBe('api.rmi succeeded');
  });
});
