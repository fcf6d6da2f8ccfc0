import { describe, expect, it } from 'vitest';
import { compilePolicies } from '../../crd/imagepolicy/match.js';
import { planPass } from './plan.js';

const obs = (tags: string[]) => ({ images: [{ id: 'sha256:new', tags, repoDigests: [], sizeBytes: 1, created: 0, labels: {} }], containers: [] });
const base = { policies: compilePolicies([]), persisted: new Map(), now: 1000 };

describe('planPass: images arriving through the agent', () => {
  it('does not track a new image that a pull in flight is bringing, until its download is recorded', () => {
    const arriving = new Set(['localhost:5000/app:1']);
    const deferred = planPass({ ...base, observed: obs(['localhost:5000/app:1']), downloads: new Map(), arriving });
    expect(deferred.images.size).toBe(0);
    expect(deferred.audit).toEqual([]);
    const recorded = planPass({ ...base, observed: obs(['localhost:5000/app:1']), downloads: new Map([['sha256:new', { at: 900, via: 'pull localhost:5000/app:1' }]]), arriving });
    expect(recorded.audit.map((a) => a.event)).toEqual(['downloaded', 'observe']);
    expect(recorded.images.get('sha256:new')?.context.agentDownloaded).toBe(true);
  });

  it('tracks other new images as discovered, and defers every new image while a load is in flight', () => {
    const other = planPass({ ...base, observed: obs(['other:1']), downloads: new Map(), arriving: new Set(['localhost:5000/app:1']) });
    expect(other.audit[0]?.event).toBe('discovered');
    const loading = planPass({ ...base, observed: obs(['other:1']), downloads: new Map(), arriving: new Set(['*token']) });
    expect(loading.images.size).toBe(0);
  });
});

describe('planPass: uses from the engine\'s events', () => {
  const policies = compilePolicies([{ apiVersion: 'imagectl.dev/v1alpha1', kind: 'ImagePolicy', metadata: { name: 'p' }, spec: { removal: [{ imageName: 'app:*', deleteAfter: '1s' }] } }] as never);
  const first = planPass({ policies, observed: obs(['app:1']), persisted: new Map(), downloads: new Map(), now: 1000 });

  it('an idle image used since the last pass counts from that use, and the audit says so', () => {
    const p = planPass({ policies, observed: obs(['app:1']), persisted: first.images, downloads: new Map(), now: 2500, uses: new Map([['sha256:new', { at: 2200, reason: 'used by container job (engine event destroy at T)' }]]) });
    expect(p.remove).toEqual([]);
    expect(p.nextDueAt).toBe(3200);
    expect(p.audit).toEqual([expect.objectContaining({ from: 'idle', to: 'idle', event: 'used', reason: 'used by container job (engine event destroy at T)' })]);
  });

  it('without the use it would be removable; history that could not be seen counts as a use of every image', () => {
    expect(planPass({ policies, observed: obs(['app:1']), persisted: first.images, downloads: new Map(), now: 2500 }).remove).toEqual(['sha256:new']);
    const p = planPass({ policies, observed: obs(['app:1']), persisted: first.images, downloads: new Map(), now: 2500, unseen: { at: 2400, reason: 'events since A unavailable: counted as used at B' } });
    expect([p.remove, p.nextDueAt, p.audit[0]?.reason]).toEqual([[], 3400, 'events since A unavailable: counted as used at B']);
  });
});
