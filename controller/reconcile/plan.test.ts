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
