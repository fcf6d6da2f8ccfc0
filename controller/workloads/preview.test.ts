import { describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { planApply } from '../../crd/apply/applyset.js';
import type { Manifest } from '../../crd/api/object.js';
import type { ObservedContainer, ObservedImage } from '../engine/observation.js';
import { specHash } from './decide.js';
import type { WorkloadStatus } from './executor.js';
import { previewWorkloads, type PreviewContext } from './preview.js';

const wl = (name: string, spec: Record<string, unknown>): Manifest => ({ apiVersion: 'imagectl.dev/v1alpha1', kind: 'Workload', metadata: { name }, spec: { image: 'localhost:5000/app:1', ...spec } });
const t = new Date('2026-01-01T00:00:00Z');
const APP1: ObservedImage = { id: 'sha256:app1', tags: ['localhost:5000/app:1'], repoDigests: [], sizeBytes: 1, created: 0, labels: {} };

/** The agent's view after it ran `objects`: one running container each, counters acted on. */
function ranBy(objects: Manifest[]): Pick<PreviewContext, 'containers' | 'statuses'> {
  const containers: ObservedContainer[] = [];
  const statuses = new Map<string, WorkloadStatus>();
  for (const o of objects) {
    const w = o as unknown as Parameters<typeof specHash>[0];
    containers.push({ id: `c-${o.metadata.name}`, name: `imagectl-${o.metadata.name}`, imageId: APP1.id, image: w.spec.image, state: 'running', labels: { 'imagectl.dev/managed': 'true', 'imagectl.dev/workload': o.metadata.name, 'imagectl.dev/spec-hash': specHash(w) } });
    const s = w.spec;
    statuses.set(`Workload/${o.metadata.name}`, { phase: 'Running', observedCounters: { refreshImage: s.refreshImage ?? 0, restart: s.restart ?? 0, purge: s.purge ?? 0 } } as WorkloadStatus);
  }
  return { containers, statuses };
}

describe('previewWorkloads', () => {
  it('says which containers are created, recreated, restarted or removed, and which images are pulled, as the executor decides', () => {
    const first = [wl('same', {}), wl('bump', { restart: 0 }), wl('change', {}), wl('gone', {}), wl('purged', {})];
    const live = planApply([], first, t, randomUUID, { applyset: 's' }).puts;
    const plan = planApply(live, [
      wl('same', {}), wl('bump', { restart: 1 }), wl('change', { image: 'localhost:5000/app:2' }), wl('purged', { purge: 1 }),
      wl('new', { imagePullPolicy: 'IfNotPresent' }), wl('never', { image: 'x:1', imagePullPolicy: 'Never' }),
    ], t, randomUUID, { applyset: 's', prune: true });
    const preview = previewWorkloads(live, plan, { images: [APP1], ...ranBy(first), defaultPullPolicy: 'Always' });
    expect(preview.map((p) => [p.workload, p.container, p.image])).toEqual([
      ['bump', 'restart', 'none'],
      ['change', 'recreate', 'pull'],
      ['purged', 'purge', 'resolve'],
      ['new', 'create', 'none'],
      ['never', 'create', 'missing'],
      ['gone', 'remove', 'none'],
    ]);
    expect(preview.find((p) => p.workload === 'never')!.reason).toContain('the workload would fail');
  });

  it('takes the agent\'s default pull policy: under IfNotPresent a present image is used as it is, under Always it is resolved', () => {
    const plan = planApply([], [wl('web', {})], t, randomUUID, { applyset: 's' });
    const ctx = { images: [APP1], containers: [], statuses: new Map() };
    expect(previewWorkloads([], plan, { ...ctx, defaultPullPolicy: 'IfNotPresent' })[0]).toMatchObject({ container: 'create', image: 'none' });
    expect(previewWorkloads([], plan, { ...ctx, defaultPullPolicy: 'Always' })[0]).toMatchObject({ container: 'create', image: 'resolve' });
    expect(previewWorkloads([], plan, { ...ctx, images: [], defaultPullPolicy: 'IfNotPresent' })[0]).toMatchObject({ image: 'pull' });
  });
});
