import { describe, expect, it } from 'vitest';
import type { Manifest, StoredObject } from '../api/object.js';
import { afterPlan, APPLYSET_LABEL, applysetId, planApply, type ApplyOptions } from './applyset.js';

const obj = (name: string, deleteAfter: string, labels?: Record<string, string>): Manifest => ({
  apiVersion: 'imagectl.dev/v1alpha1', kind: 'ImagePolicy', metadata: { name, ...(labels ? { labels } : {}) }, spec: { removal: [{ imageName: 'a:*', deleteAfter }] },
});

/** uid-1, uid-2, …: the plan is a function of its inputs. */
const counter = () => {
  let n = 0;
  return () => `uid-${++n}`;
};
const uid = counter();

describe('planApply', () => {
  it('created, then unchanged, then configured with a new generation and the same uid', () => {
    const t = new Date('2026-01-01T00:00:00Z');
    const first = planApply([], [obj('a', '1m')], t, uid);
    expect(first.results).toEqual([{ kind: 'ImagePolicy', name: 'a', action: 'created' }]);
    const live = first.puts;
    expect(live[0]!.metadata.generation).toBe(1);
    expect(planApply(live, [obj('a', '1m')], t, uid).results[0]!.action).toBe('unchanged');
    expect(planApply(live, [obj('a', '1m')], t, uid).puts).toEqual([]);
    const changed = planApply(live, [obj('a', '2m')], t, uid);
    expect(changed.results[0]!.action).toBe('configured');
    expect(changed.puts[0]!.metadata.generation).toBe(2);
    expect(changed.puts[0]!.metadata.uid).toBe(live[0]!.metadata.uid);
    expect(planApply(live, [obj('a', '1m', { team: 'x' })], t, uid).results[0]!.action).toBe('configured');
  });

  it('names a created object with the uid generator it is given, and is the same plan for the same inputs', () => {
    const t = new Date('2026-01-01T00:00:00Z');
    const plan = () => planApply([], [obj('a', '1m'), obj('b', '1m')], t, counter());
    expect(plan().puts.map((o) => o.metadata.uid)).toEqual(['uid-1', 'uid-2']);
    expect(plan()).toEqual(plan());
  });

  it('stores the manifest\'s fields in the usual order with the server\'s metadata, whatever the input\'s order', () => {
    const t = new Date('2026-01-01T00:00:00Z');
    const shuffled = { spec: { image: 'x:1' }, metadata: { annotations: { a: 'b' }, name: 'w' }, kind: 'Workload', apiVersion: 'imagectl.dev/v1alpha1' } as const;
    const [put] = planApply([], [shuffled], t, counter()).puts;
    expect(JSON.stringify(put)).toBe('{"apiVersion":"imagectl.dev/v1alpha1","kind":"Workload","metadata":{"name":"w","annotations":{"a":"b"},"uid":"uid-1","generation":1,"creationTimestamp":"2026-01-01T00:00:00.000Z"},"spec":{"image":"x:1"}}');
  });
});

describe('applysets', () => {
  const t = new Date('2026-01-01T00:00:00Z');
  const applied = (objs: Manifest[], opts: ApplyOptions = {}, live: StoredObject[] = []) => {
    const p = planApply(live, objs, t, uid, opts);
    return { ...p, live: afterPlan(live, p) };
  };

  it('derive a kubectl-style id that is a valid label value, one per name', () => {
    const id = applysetId('gitops');
    expect(id).toMatch(/^applyset-[A-Za-z0-9_-]{43}-v1$/);
    expect(id.length).toBeLessThanOrEqual(63);
    expect(applysetId('gitops')).toBe(id);
    expect(applysetId('other')).not.toBe(id);
  });

  it('label every object applied with --applyset, and stay unchanged on a re-apply', () => {
    const first = applied([obj('a', '1m'), obj('b', '1m', { team: 'x' })], { applyset: 'git' });
    expect(first.puts.map((o) => o.metadata.labels)).toEqual([{ [APPLYSET_LABEL]: applysetId('git') }, { team: 'x', [APPLYSET_LABEL]: applysetId('git') }]);
    expect(planApply(first.live, [obj('a', '1m'), obj('b', '1m', { team: 'x' })], t, uid, { applyset: 'git', prune: true }).results.map((r) => r.action)).toEqual(['unchanged', 'unchanged']);
  });

  it('prune only the objects of the same set that left the input', () => {
    let live = applied([obj('a', '1m'), obj('b', '1m')], { applyset: 'git' }).live;
    live = applied([obj('other-set', '1m')], { applyset: 'other' }, live).live;
    live = applied([obj('loose', '1m')], {}, live).live;
    const p = planApply(live, [obj('a', '1m')], t, uid, { applyset: 'git', prune: true });
    expect(p.problems).toEqual([]);
    expect(p.results).toEqual([{ kind: 'ImagePolicy', name: 'a', action: 'unchanged' }, { kind: 'ImagePolicy', name: 'b', action: 'pruned' }]);
    expect(p.deletes).toEqual([{ kind: 'ImagePolicy', name: 'b' }]);
    expect(afterPlan(live, p).map((o) => o.metadata.name).sort()).toEqual(['a', 'loose', 'other-set']);
    // without --prune nothing goes
    expect(planApply(live, [obj('a', '1m')], t, uid, { applyset: 'git' }).deletes).toEqual([]);
    // an empty input prunes the whole set
    expect(planApply(live, [], t, uid, { applyset: 'git', prune: true }).deletes.map((d) => d.name)).toEqual(['a', 'b']);
  });

  it('refuse --prune without --applyset, a bad set name, a hand-made set label and taking over another set', () => {
    expect(planApply([], [obj('a', '1m')], t, uid, { prune: true }).problems).toEqual(['--prune needs --applyset NAME: imagectl prunes only the objects of one applyset']);
    expect(planApply([], [obj('a', '1m')], t, uid, { applyset: 'Bad Name' }).problems[0]).toMatch(/^--applyset "Bad Name": must be lowercase/);
    expect(planApply([], [obj('a', '1m', { [APPLYSET_LABEL]: 'x' })], t, uid, {}).problems).toEqual([`imagepolicy/a: the label ${APPLYSET_LABEL} is set by --applyset, not by hand`]);
    const live = applied([obj('a', '1m')], { applyset: 'one' }).live;
    const p = planApply(live, [obj('a', '2m')], t, uid, { applyset: 'two', prune: true });
    expect(p.problems).toEqual([`imagepolicy/a belongs to another applyset (${applysetId('one')}): delete it there, or apply it with that set`]);
    expect(p.puts).toEqual([]);
    // applying it outside any set takes it out of its set, as kubectl does
    expect(planApply(live, [obj('a', '1m')], t, uid).results[0]!.action).toBe('configured');
  });
});
