/** Images, plan and audit routes. */
import type { ImagePolicy } from '../../../crd/imagepolicy/type.js';
import type { Reconciler } from '../../reconcile/reconciler.js';
import type { LogRecord } from '../../../crd/api/audit.js';
import type { PersistedImage } from '../../../statemachines/runtime.js';
import type { ServerResponse } from 'node:http';
import type { ApiDeps } from '../deps.js';
import { HttpError, type Router } from '../http.js';
import { explainImage, imageItem, resolveImage } from '../views.js';

export function oneImage(images: ReadonlyMap<string, PersistedImage>, ref: string): PersistedImage {
  const hits = resolveImage(images, ref);
  if (hits.length === 0) throw new HttpError(404, `image ${JSON.stringify(ref)} not found`);
  if (hits.length > 1) throw new HttpError(409, `image reference ${JSON.stringify(ref)} is ambiguous: it matches ${hits.length} images`);
  return hits[0]!;
}

/** What would be removed now and later, and by which rule: the pure planner, not acted on. */
export function planView(rec: Reconciler, policies: ImagePolicy[]) {
  const now = rec.now();
  const plan = rec.preview(policies, now);
  if (!plan) return { now: new Date(now).toISOString(), items: [] };
  const items = [...plan.images.values()]
    .filter((p) => p.state !== 'removed')
    .map((p) => {
      const item = imageItem(p);
      const when = p.state === 'removable' ? 'now' : item.status.removeAt ? 'later' : 'never';
      return {
        image: p.context.id, tags: p.context.tags, state: p.state, when, rule: item.status.rule,
        removeAt: p.state === 'removable' ? new Date(now).toISOString() : item.status.removeAt,
        protectedBy: item.status.protectedBy, usedBy: item.status.usedBy, sizeBytes: p.context.sizeBytes,
      };
    })
    .sort((a, b) => (a.removeAt ?? '~').localeCompare(b.removeAt ?? '~'));
  return { now: new Date(now).toISOString(), items };
}

export function imageRoutes(r: Router, d: ApiDeps): void {
  const rec = d.reconciler;

  r.on('GET', '/v1/images', async (_q, _s, _p, url) => {
    const all = url.searchParams.get('all') === 'true';
    const items = [...rec.images.values()].filter((p) => all || p.state !== 'removed').map(imageItem);
    items.sort((a, b) => (a.status.tags[0] ?? '~' + a.metadata.name).localeCompare(b.status.tags[0] ?? '~' + b.metadata.name));
    return { apiVersion: 'v1', kind: 'ImageList', items, engine: rec.engine };
  });

  r.on('GET', '/v1/images/:ref', async (_q, _s, p) => imageItem(oneImage(rec.images, p.ref!)));

  r.on('GET', '/v1/images/:ref/describe', async (_q, _s, p) => {
    const img = oneImage(rec.images, p.ref!);
    const events = (await d.store.auditForImage(img.context.id)).slice(-20);
    return { image: imageItem(img), ...explainImage(img, rec.selectedPolicies()), events };
  });

  r.on('GET', '/v1/plan', async () => {
    if (!rec.lastObservation) throw new HttpError(503, `the agent has not observed the engine yet: ${rec.engine.error ?? ''}`);
    return planView(rec, rec.selectedPolicies());
  });

  r.on('GET', '/v1/audit', async (req, res, _p, url) => {
    const ref = url.searchParams.get('image');
    const since = url.searchParams.has('since') ? Number(url.searchParams.get('since')) : undefined;
    const follow = url.searchParams.get('follow') === 'true';
    const id: string | undefined = ref ? oneImage(rec.images, ref).context.id : undefined;
    res.writeHead(200, { 'content-type': 'application/x-ndjson' });
    const write = (a: LogRecord) => res.write(`${JSON.stringify(a)}\n`);
    // the history streams from the store at the reader's pace: wait for 'drain' when the socket's
    // buffer is full, so that a slow reader never makes the agent hold the rest in memory
    const history = id ? (await d.store.auditForImage(id, { since }))[Symbol.iterator]() : d.store.auditLog({ since, apiCalls: true });
    for await (const a of history) {
      if (res.destroyed) return;
      if (!write(a)) await drained(res);
    }
    if (res.destroyed) return;
    if (!follow) {
      res.end();
      return;
    }
    const onAudit = (a: LogRecord) => {
      if (!id || a.image === id) write(a);
    };
    d.store.on('audit', onAudit);
    await new Promise<void>((resolve) => req.on('close', resolve));
    d.store.off('audit', onAudit);
  });
}

/** Resolves when the response can take more data, or is gone. */
function drained(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}
