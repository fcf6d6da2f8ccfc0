/** Images, plan and audit routes. */
import type { LogRecord } from '../../../crd/api/audit.js';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ApiDeps } from '../../service/deps.js';
import { HttpError, type Router } from '../http.js';
import { explainImage, imageItem, imageLabels, oneImage, planView } from '../../service/views.js';

export function imageRoutes(r: Router, d: ApiDeps): void {
  const snap = () => d.reconciler.snapshot();

  r.on('GET', '/v1/images', async (_q, _s, _p, url) => {
    const all = url.searchParams.get('all') === 'true';
    const { images, engine, lastObservation } = snap();
    const labels = imageLabels(lastObservation);
    const items = [...images.values()].filter((p) => all || p.state !== 'removed').map((p) => imageItem(p, labels.get(p.context.id)));
    items.sort((a, b) => (a.status.tags[0] ?? '~' + a.metadata.name).localeCompare(b.status.tags[0] ?? '~' + b.metadata.name));
    return { apiVersion: 'v1', kind: 'ImageList', items, engine };
  });

  r.on('GET', '/v1/images/:ref', async (_q, _s, p) => {
    const { images, lastObservation } = snap();
    const img = oneImage(images, p.ref!);
    return imageItem(img, imageLabels(lastObservation).get(img.context.id));
  });

  r.on('GET', '/v1/images/:ref/describe', async (_q, _s, p) => {
    const { images, policies, lastObservation } = snap();
    const img = oneImage(images, p.ref!);
    const events = (await d.store.auditForImage(img.context.id)).slice(-20);
    return { image: imageItem(img, imageLabels(lastObservation).get(img.context.id)), ...explainImage(img, policies), events };
  });

  r.on('GET', '/v1/plan', async () => {
    const s = snap();
    if (!s.lastObservation) throw new HttpError(503, `the agent has not observed the engine yet: ${s.engine.error ?? ''}`);
    return planView(s, s.policies);
  });

  r.on('GET', '/v1/audit', (req, res, _p, url) => streamAudit(d, req, res, url));
}

/** The audit log (one image's with `image`) from `since` on, and with `follow` what is written after it. */
async function streamAudit(d: ApiDeps, req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
  const ref = url.searchParams.get('image');
  const since = url.searchParams.has('since') ? Number(url.searchParams.get('since')) : undefined;
  const follow = url.searchParams.get('follow') === 'true';
  const id: string | undefined = ref ? oneImage(d.reconciler.snapshot().images, ref).context.id : undefined;
  res.writeHead(200, { 'content-type': 'application/x-ndjson' });
  const write = (a: LogRecord) => res.write(`${JSON.stringify(a)}\n`);
  // with follow, listen before the history is read: the log's keys rise in the order records are
  // written (store/audit-keys.ts), so a record written while the history streams is either in it
  // (a key up to the last one sent) or after it, and comes once, in order
  let last: string | null = null;
  let pending: [string, LogRecord][] | null = [];
  const onAudit = (a: LogRecord, key: string) => {
    if ((id && a.image !== id) || (since !== undefined && Date.parse(a.time) < since)) return;
    if (pending) pending.push([key, a]);
    else write(a);
  };
  if (follow) d.store.on('audit', onAudit);
  try {
    // the history streams from the store at the reader's pace: wait for 'drain' when the socket's
    // buffer is full, so that a slow reader never makes the agent hold the rest in memory
    for await (const [key, a] of d.store.auditEntries({ since, image: id })) {
      if (res.destroyed) return;
      last = key;
      if (!write(a)) await drained(res);
    }
    if (res.destroyed) return;
    if (!follow) return void res.end();
    for (const [key, a] of pending) if (last === null || key > last) write(a);
    pending = null;
    await new Promise<void>((resolve) => req.on('close', resolve));
  } finally {
    d.store.off('audit', onAudit);
  }
}

/** Resolves when the response can take more data, or is gone (the audit and the change feed wait on it). */
export function drained(res: ServerResponse): Promise<void> {
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
