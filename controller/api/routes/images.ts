/** Images, plan and audit routes. */
import type { LogRecord } from '../../../crd/api/audit.js';
import type { ServerResponse } from 'node:http';
import type { ApiDeps } from '../../service/deps.js';
import { HttpError, type Router } from '../http.js';
import { ndjson, Stream } from '../stream.js';
import { explainImage, imageItem, imageLabels, oneImage, planView } from '../../service/views.js';
import { evictionOf } from '../../service/disk-view.js';

export function imageRoutes(r: Router, d: ApiDeps): void {
  const snap = () => d.reconciler.snapshot();

  r.on('GET', '/v1/images', async (_q, _s, _p, url) => {
    const all = url.searchParams.get('all') === 'true';
    const { images, engine, lastObservation } = snap();
    const labels = imageLabels(lastObservation);
    const unique = (await d.reconciler.imageBytes())?.unique;
    const items = [...images.values()].filter((p) => all || p.state !== 'removed').map((p) => imageItem(p, labels.get(p.context.id), unique));
    items.sort((a, b) => (a.status.tags[0] ?? '~' + a.metadata.name).localeCompare(b.status.tags[0] ?? '~' + b.metadata.name));
    return { apiVersion: 'v1', kind: 'ImageList', items, engine };
  });

  r.on('GET', '/v1/images/:ref', async (_q, _s, p) => {
    const { images, lastObservation } = snap();
    const img = oneImage(images, p.ref!);
    return imageItem(img, imageLabels(lastObservation).get(img.context.id), (await d.reconciler.imageBytes())?.unique);
  });

  r.on('GET', '/v1/images/:ref/describe', async (_q, _s, p) => {
    const s = snap();
    const img = oneImage(s.images, p.ref!);
    const events = (await d.store.auditForImage(img.context.id)).slice(-20);
    const ib = await d.reconciler.imageBytes();
    return { image: imageItem(img, imageLabels(s.lastObservation).get(img.context.id), ib?.unique), ...explainImage(img, s.policies), eviction: evictionOf(s, img.context.id, ib), events };
  });

  r.on('GET', '/v1/plan', async () => {
    const s = snap();
    if (!s.lastObservation) throw new HttpError(503, `the agent has not observed the engine yet: ${s.engine.error ?? ''}`);
    return planView(s, s.policies, await d.reconciler.imageBytes());
  });

  r.on('GET', '/v1/audit', (_req, res, _p, url) => streamAudit(d, res, url));
}

/** Records written while a follower's history is read, held for it; past this it is dropped (it can follow again). */
const MAX_HELD_RECORDS = 10_000;

/** The audit log (one image's with `image`) from `since` on, and with `follow` what is written after it. */
async function streamAudit(d: ApiDeps, res: ServerResponse, url: URL): Promise<void> {
  const ref = url.searchParams.get('image');
  const since = url.searchParams.has('since') ? Number(url.searchParams.get('since')) : undefined;
  const follow = url.searchParams.get('follow') === 'true';
  const id: string | undefined = ref ? oneImage(d.reconciler.snapshot().images, ref).context.id : undefined;
  res.writeHead(200, { 'content-type': 'application/x-ndjson' });
  const s = new Stream(res);
  // with follow, listen before the history is read: the log's keys rise in the order records are
  // written (store/audit-keys.ts), so a record written while the history streams is either in it
  // (a key up to the last one sent) or after it, and comes once, in order
  let last: string | null = null;
  let held: [string, LogRecord][] | null = [];
  const onAudit = (a: LogRecord, key: string) => {
    if ((id && a.image !== id) || (since !== undefined && Date.parse(a.time) < since)) return;
    if (!held) s.live(ndjson(a));
    else if (held.push([key, a]) > MAX_HELD_RECORDS) s.drop();
  };
  if (follow) d.store.on('audit', onAudit);
  try {
    // the history at the reader's pace; live records are dropped with a reader that stops reading
    for await (const [key, a] of d.store.auditEntries({ since, image: id })) {
      if (!(await s.paced(ndjson(a)))) return;
      last = key;
    }
    if (!follow) return s.end();
    for (const [key, a] of held!) if (last === null || key > last) s.live(ndjson(a));
    held = null;
    await s.closed;
  } finally {
    d.store.off('audit', onAudit);
  }
}
