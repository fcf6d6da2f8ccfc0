import { describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import type { Manifest } from '../../crd/api/object.js';
import { planApply } from '../../crd/apply/applyset.js';
import type { WorkloadSpec } from '../../crd/workload/type.js';
import { previewWorkloads } from './preview.js';

describe('previewWorkloads', () => {
  const wl = (name: string, spec: Partial<WorkloadSpec>): Manifest => ({ apiVersion: 'imagectl.dev/v1alpha1', kind: 'Workload', metadata: { name }, spec: { image: 'localhost:5000/app:1', ...spec } });
  const t = new Date('2026-01-01T00:00:00Z');

  it('says which containers are created, recreated, restarted or removed, and which images are pulled', () => {
    const live = planApply([], [wl('same', {}), wl('bump', { restart: 0 }), wl('change', {}), wl('gone', {}), wl('purged', {})], t, randomUUID, { applyset: 's' }).puts;
    const plan = planApply(live, [
      wl('same', {}), wl('bump', { restart: 1 }), wl('change', { image: 'localhost:5000/app:2' }), wl('purged', { purge: 1 }),
      wl('new', { imagePullPolicy: 'IfNotPresent' }), wl('never', { image: 'x:1', imagePullPolicy: 'Never' }),
    ], t, randomUUID, { applyset: 's', prune: true });
    const preview = previewWorkloads(live, plan, (ref) => ref === 'localhost:5000/app:1');
    expect(preview.map((p) => [p.workload, p.container, p.image])).toEqual([
      ['bump', 'restart', 'resolve'],
      ['change', 'recreate', 'pull'],
      ['purged', 'purge', 'resolve'],
      ['new', 'create', 'none'],
      ['never', 'create', 'missing'],
      ['gone', 'remove', 'none'],
    ]);
    expect(preview.find((p) => p.workload === 'never')!.reason).toContain('the workload would fail');
  });
});
