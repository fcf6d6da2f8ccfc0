import { describe, expect, it } from 'vitest';
import type { NodeStatus } from '../../../crd/fleet/node-status.js';
import { ACTIVITY_MAX, DAY_MS, FleetModel } from './model.js';

const T0 = Date.parse('2026-03-01T12:00:00Z');
const ID = `sha256:${'b'.repeat(64)}`;

function status(node: string, over: Partial<NodeStatus> = {}): NodeStatus {
  return {
    node, labels: { site: 'a' }, lastSeen: new Date(T0).toISOString(), appliedRevision: 4, ready: true, reason: 'Applied', objects: [],
    disk: null, workloads: [], engine: { reachable: true, error: null },
    images: [{ id: ID, status: { state: 'removable', tags: ['app:1'], repoDigests: [], sizeBytes: 7_000_000 } as never }],
    ...over,
  };
}

const removal = (node: string, time: number, extra: object = {}) => ({ time: new Date(time).toISOString(), image: ID, tags: ['app:1'], from: 'removable', to: 'removed', event: 'removed', reason: 'rule p/removal[0]: idle 2h >= 1h', actor: 'agent', node, ...extra });

describe('FleetModel', () => {
  it('derives a row per node and queues only what changed', () => {
    const m = new FleetModel();
    m.putNode('dev-a', JSON.stringify(status('dev-a')), T0);
    m.putNode('dev-b', JSON.stringify(status('dev-b')), T0);
    expect(m.takeChanges()!.upsert.map((r) => r.name)).toEqual(['dev-a', 'dev-b']);
    m.putNode('dev-a', JSON.stringify(status('dev-a')), T0);
    expect(m.takeChanges()).toBeNull();
    m.putNode('dev-a', JSON.stringify(status('dev-a', { appliedRevision: 5 })), T0);
    const c = m.takeChanges()!;
    expect(c.upsert).toHaveLength(1);
    expect(c.upsert[0]).toMatchObject({ name: 'dev-a', appliedRevision: 5, images: 1 });
  });

  it('drops a deleted node, ignores a value that is not a status', () => {
    const m = new FleetModel();
    m.putNode('dev-a', JSON.stringify(status('dev-a')), T0);
    m.takeChanges();
    m.putNode('junk', 'not json', T0);
    m.putNode('dev-a', null, T0);
    expect(m.takeChanges()).toMatchObject({ upsert: [], remove: ['dev-a'] });
    expect(m.snapshot(T0).devices).toEqual([]);
  });

  it('reads _commit: revision, publisher, object count; a delete is none', () => {
    const m = new FleetModel();
    m.putCommit(7, JSON.stringify({ objects: { 'imagepolicy.a': 1, 'imagepolicy.b': 2 }, publishedAt: '2026-03-01T11:00:00Z', publisher: 'ci' }));
    expect(m.takeChanges()!.rollout).toEqual({ revision: 7, publishedAt: '2026-03-01T11:00:00Z', publisher: 'ci', objects: 2 });
    m.putCommit(8, null);
    expect(m.snapshot(T0).rollout.revision).toBe(0);
  });

  it('counts a removal\'s bytes (from the node\'s status, or the record\'s freedBytes) per node and per minute', () => {
    const m = new FleetModel();
    m.putNode('dev-a', JSON.stringify(status('dev-a')), T0);
    m.takeChanges();
    m.addAudit(1, removal('dev-a', T0 - 60_000), T0);
    m.addAudit(2, removal('dev-a', T0, { freedBytes: 3_000_000 }), T0);
    m.addAudit(3, { ...removal('dev-a', T0), event: 'observe' }, T0); // gone outside imagectl: listed, not counted
    const c = m.takeChanges()!;
    expect(c.activity.map((a) => [a.seq, a.removal, a.freedBytes])).toEqual([[3, false, null], [2, true, 3_000_000], [1, true, 7_000_000]]);
    expect(c.upsert[0]!.freed24h).toBe(10_000_000);
    expect(c.reclaimed).toHaveLength(2);
    expect(c.reclaimed.reduce((n, [, b]) => n + b, 0)).toBe(10_000_000);
  });

  it('ignores a record seen before (a consumer that resumes) and keeps the last ACTIVITY_MAX removals and others', () => {
    const m = new FleetModel();
    m.addAudit(1, removal('dev-a', T0), T0);
    // a rollout: one apply record per device, more than the list keeps
    for (let i = 2; i <= ACTIVITY_MAX + 10; i++) m.addAudit(i, { ...removal(`dev-${i}`, T0), image: null, from: null, to: 'succeeded', event: 'api.apply' }, T0);
    m.addAudit(5, removal('dev-a', T0), T0);
    const s = m.snapshot(T0);
    expect(s.activity).toHaveLength(ACTIVITY_MAX + 1);
    expect(s.activity[0]!.seq).toBe(ACTIVITY_MAX + 10);
    expect(s.activity.at(-1)).toMatchObject({ seq: 1, to: 'removed' });
    expect(m.lastSeq).toBe(ACTIVITY_MAX + 10);
  });

  it('turns a node stale after 90 s and lets removals leave the 24 h window', () => {
    const m = new FleetModel();
    m.putNode('dev-a', JSON.stringify(status('dev-a')), T0);
    m.addAudit(1, removal('dev-a', T0), T0);
    m.takeChanges();
    m.tick(T0 + 91_000);
    expect(m.takeChanges()!.upsert[0]).toMatchObject({ ready: false, reason: 'Stale', freed24h: 7_000_000 });
    m.tick(T0 + DAY_MS + 1);
    expect(m.takeChanges()!.upsert[0]!.freed24h).toBe(0);
    // the chart's minute goes once all of it is older than 24 h
    expect(m.snapshot(T0 + DAY_MS + 1).reclaimed).toHaveLength(1);
    m.tick(T0 + DAY_MS + 60_000);
    expect(m.snapshot(T0 + DAY_MS + 60_000).reclaimed).toEqual([]);
  });
});
