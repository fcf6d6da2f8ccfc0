import { describe, expect, it } from 'vitest';
import { planApply, type IncomingObject } from './apply.js';

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
