import { describe, expect, it } from 'vitest';
import type { StoredObject } from '../api/object.js';
import { afterPlan, APPLYSET_LABEL, applysetId, planApply, type ApplyOptions, type IncomingObject } from './applyset.js';

const obj = (name: string, deleteAfter: string, labels?: Record<string, string>): IncomingObject => ({
  apiVersion: 'imagectl.dev/v1alpha1', kind: 'ImagePolicy', metadata: { name, ...(labels ? { labels } : {}) }, spec: { removal: [{ imageName: 'a:*', deleteAfter }] },
});

describe('planApply', () => {
  it('created, then unchanged, then configured with a new generation and the same uid', () => {
    const t = new Date('2026-01-01T00:00:00Z');
    const first = planApply([], [obj('a', '1m')], t);
    expect(first.results).toEqual([{ kind: 'ImagePolicy', name: 'a', action: 'created' }]);
    const live = first.puts;
    expect(live[0]!.metadata.generation).toBe(1);
    expect(planApply(live, [obj('a', '1m')], t).results[0]!.action).toBe('unchanged');
    expect(planApply(live, [obj('a', '1m')], t).puts).toEqual([]);
    const changed = planApply(live, [obj('a', '2m')], t);
    expect(changed.results[0]!.action).toBe('configured');
    expect(changed.puts[0]!.metadata.generation).toBe(2);
    expect(changed.puts[0]!.metadata.uid).toBe(live[0]!.metadata.uid);
    expect(planApply(live, [obj('a', '1m', { team: 'x' })], t).results[0]!.action).toBe('configured');
  });
});

describe('applysets', () => {
  const t = new Date('2026-01-01T00:00:00Z');
  const applied = (objs: IncomingObject[], opts: ApplyOptions = {}, live: StoredObject[] = []) => {
    const p = planApply(live, objs, t, opts);
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
    expect(planApply(first.live, [obj('a', '1m'), obj('b', '1m', { team: 'x' })], t, { applyset: 'git', prune: true }).results.map((r) => r.action)).toEqual(['unchanged', 'unchanged']);
  });

  it('prune only the objects of the same set that left the input', () => {
    let live = applied([obj('a', '1m'), obj('b', '1m')], { applyset: 'git' }).live;
    live = applied([obj('other-set', '1m')], { applyset: 'other' }, live).live;
    live = applied([obj('loose', '1m')], {}, live).live;
    const p = planApply(live, [obj('a', '1m')], t, { applyset: 'git', prune: true });
    expect(p.problems).toEqual([]);
    expect(p.results).toEqual([{ kind: 'ImagePolicy', name: 'a', action: 'unchanged' }, { kind: 'ImagePolicy', name: 'b', action: 'pruned' }]);
    expect(p.deletes).toEqual([{ kind: 'ImagePolicy', name: 'b' }]);
    expect(afterPlan(live, p).map((o) => o.metadata.name).sort()).toEqual(['a', 'loose', 'other-set']);
    // without --prune nothing goes
    expect(planApply(live, [obj('a', '1m')], t, { applyset: 'git' }).deletes).toEqual([]);
    // an empty input prunes the whole set
    expect(planApply(live, [], t, { applyset: 'git', prune: true }).deletes.map((d) => d.name)).toEqual(['a', 'b']);
  });

  it('refuse --prune without --applyset, a bad set name, a hand-made set label and taking over another set', () => {
    expect(planApply([], [obj('a', '1m')], t, { prune: true }).problems).toEqual(['--prune needs --applyset NAME: imagectl prunes only the objects of one applyset']);
    expect(planApply([], [obj('a', '1m')], t, { applyset: 'Bad Name' }).problems[0]).toMatch(/^--applyset "Bad Name": must be lowercase/);
    expect(planApply([], [obj('a', '1m', { [APPLYSET_LABEL]: 'x' })], t, {}).problems).toEqual([`imagepolicy/a: the label ${APPLYSET_LABEL} is set by --applyset, not by hand`]);
    const live = applied([obj('a', '1m')], { applyset: 'one' }).live;
    const p = planApply(live, [obj('a', '2m')], t, { applyset: 'two', prune: true });
    expect(p.problems).toEqual([`imagepolicy/a belongs to another applyset (${applysetId('one')}): delete it there, or apply it with that set`]);
    expect(p.puts).toEqual([]);
    // applying it outside any set takes it out of its set, as kubectl does
    expect(planApply(live, [obj('a', '1m')], t).results[0]!.action).toBe('configured');
  });
});
