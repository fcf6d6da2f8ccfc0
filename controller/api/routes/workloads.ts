/** Workloads with their status, and `refresh workload` (raises the refreshImage counter). */
import type { StoredObject } from '../../store/store.js';
import type { ApiDeps } from '../../service/deps.js';
import { HttpError, type Router } from '../http.js';
import { commitObjects, desiredChanged, serialized } from '../../service/apply.js';

export function workloadItem(o: StoredObject, d: ApiDeps) {
  return { ...o, status: d.reconciler.snapshot().statuses.get(`Workload/${o.metadata.name}`) ?? { phase: 'Pending', reason: 'NotReconciled', message: 'the agent has not acted on this workload yet' } };
}

export function workloadRoutes(r: Router, d: ApiDeps): void {
  r.on('GET', '/v1/workloads', async () => ({
    apiVersion: 'v1', kind: 'WorkloadList', items: (await d.store.listObjects('Workload')).map((o) => workloadItem(o, d)),
  }));

  r.on('GET', '/v1/workloads/:name', async (_q, _s, p) => {
    const o = await d.store.getObject('Workload', p.name!);
    if (!o) throw new HttpError(404, `workload ${JSON.stringify(p.name)} not found`);
    return workloadItem(o, d);
  });

  // in the apply queue: read, raise and write with no apply or other refresh in between (no lost update)
  r.on('POST', '/v1/workloads/:name/refresh', async (_q, _s, p) =>
    serialized(d, async () => {
      const o = await d.store.getObject('Workload', p.name!);
      if (!o) throw new HttpError(404, `workload ${JSON.stringify(p.name)} not found`);
      const spec = o.spec;
      const next: StoredObject = { ...o, metadata: { ...o.metadata, generation: o.metadata.generation + 1 }, spec: { ...spec, refreshImage: (spec.refreshImage ?? 0) + 1 } };
      await commitObjects(d, { putObjects: [next] }, 'refreshed');
      await desiredChanged(d);
      return workloadItem(next, d);
    }));
}
