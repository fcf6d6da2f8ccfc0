/**
 * Managed images, the Zun case: `imagectl pull` and `imagectl pull --archive` bring an image in
 * through the agent (recorded as agentDownloaded), and `imagectl rmi` removes an image the agent
 * manages, with its residual data (a cached archive). Anything else gets a clear refusal.
 */
import { loadCached } from '../../effects/archives.js';
import { errorText } from '../../engine/docker.js';
import { applyEvent, type DownloadRecord } from '../../reconcile/plan.js';
import { localImage, pullImage } from '../../effects/pull.js';
import { removeImageSafely } from '../../effects/remove.js';
import { orphanedResidual, removeResidual } from '../../effects/archives.js';
import { randomUUID } from 'node:crypto';
import { familiar, normalizeWithDefaultTag, parseReference } from '../../../crd/fields/reference.js';
import type { ApiDeps } from '../../service/deps.js';
import { actorOf, HttpError, noteCall, readJson, type Router } from '../http.js';
import { imageItem } from '../../service/views.js';
import { oneImage } from '../../service/views.js';

async function recordDownloads(d: ApiDeps, records: [string, DownloadRecord][]): Promise<void> {
  await d.reconciler.exclusive(async () => {
    for (const [id, r] of records) d.reconciler.downloads.set(id, r);
    await d.store.commit({ putDownloads: records });
  });
  await d.reconciler.runPass('pull');
}

export function manageRoutes(r: Router, d: ApiDeps): void {
  r.on('POST', '/v1/pull', async (req, res) => {
    const body = (await readJson(req)) as { ref?: unknown };
    if (typeof body?.ref !== 'string') throw new HttpError(400, 'body must be {"ref": "name:tag"}');
    noteCall(req, { reason: `pull ${body.ref.slice(0, 300)}` });
    const parsed = parseReference(body.ref);
    if (!parsed.ok) throw new HttpError(400, `invalid image reference ${JSON.stringify(body.ref)}: ${parsed.error}`);
    res.writeHead(200, { 'content-type': 'application/x-ndjson' });
    try {
      const arriving = normalizeWithDefaultTag(body.ref);
      d.reconciler.arriving.add(arriving);
      let id: string;
      try {
        id = await pullImage(d.docker, body.ref, (item) => res.write(`${JSON.stringify({ progress: item })}\n`));
        await recordDownloads(d, [[id, { at: d.reconciler.now(), via: `pull ${familiar(body.ref)}` }]]);
      } finally {
        d.reconciler.arriving.delete(arriving);
      }
      const img = d.reconciler.images.get(id);
      noteCall(req, { image: id, tags: img?.context.tags ?? [body.ref], ok: true, reason: `pull ${body.ref}: ${id}` });
      res.end(`${JSON.stringify({ done: true, imageId: id, image: img ? imageItem(img) : null })}\n`);
    } catch (err) {
      noteCall(req, { ok: false, reason: `pull ${body.ref} failed: ${errorText(err)}` });
      res.end(`${JSON.stringify({ error: `pull of ${body.ref} failed: ${errorText(err)}` })}\n`);
    }
  });

  r.on('POST', '/v1/load', async (req, _res, _p, url) => {
    const digest = url.searchParams.get('digest') ?? undefined;
    if (digest !== undefined && !/^sha256:[a-f0-9]{64}$/.test(digest)) throw new HttpError(400, 'digest must be sha256:<64 hex digits>');
    const name = url.searchParams.get('name') ?? 'stdin';
    noteCall(req, { reason: `load ${name.slice(0, 300)}` });
    let loaded: Awaited<ReturnType<typeof loadCached>>;
    const ids = new Set<string>();
    // a load's references are unknown until it ends: defer every new image meanwhile
    const token = `*${randomUUID()}`;
    d.reconciler.arriving.add(token);
    try {
      try {
        loaded = await loadCached(d.archives, d.docker, req, digest);
      } catch (err) {
        throw new HttpError(422, errorText(err));
      }
      for (const ref of loaded.refs) {
        const img = await localImage(d.docker, ref);
        if (img) ids.add(img.id);
      }
      const at = d.reconciler.now();
      await recordDownloads(d, [...ids].map((id) => [id, { at, via: `load ${name}`, residual: [loaded.cachePath] }]));
    } finally {
      d.reconciler.arriving.delete(token);
    }
    noteCall(req, { image: ids.size === 1 ? [...ids][0]! : null, tags: loaded.refs, reason: `load ${name}: ${loaded.refs.join(', ')} (${loaded.digest})` });
    return { loaded: loaded.refs, images: [...ids], archiveDigest: loaded.digest };
  });

  r.on('POST', '/v1/rmi', async (req) => {
    const body = (await readJson(req)) as { ref?: unknown };
    if (typeof body?.ref !== 'string') throw new HttpError(400, 'body must be {"ref": "name:tag"}');
    const ref = body.ref;
    const rec = d.reconciler;
    noteCall(req, { reason: `rmi ${ref.slice(0, 300)}` });
    const result = await rec.exclusive(async () => {
      if (rec.safeMode) throw new HttpError(503, `the agent is in safe mode (${rec.safeMode.reason}); nothing is removed until the store takes writes again`);
      const img = oneImage(rec.images, ref);
      const id = img.context.id;
      noteCall(req, { image: id, tags: img.context.tags });
      if (img.state === 'removed') throw new HttpError(404, `image ${ref} (${id}) was already removed`);
      if (!img.context.agentDownloaded) {
        throw new HttpError(409, `image ${ref} is not managed by imagectl: it was discovered, not pulled or loaded by the agent. It is left alone; remove it with docker rmi, or let an ImagePolicy rule (agentDownloadedOnly: false) remove it`);
      }
      if (img.state === 'in-use') throw new HttpError(409, `image ${ref} is in use by ${img.context.usedBy.join(', ') || 'a container'}; remove the container first`);
      if (img.context.protectedBy?.startsWith('workload ')) throw new HttpError(409, `image ${ref} is needed by ${img.context.protectedBy}; delete the workload first`);
      const outcome = await removeImageSafely(d.docker, id);
      if (outcome.kind === 'in-use') throw new HttpError(409, `image ${ref} is in use: ${outcome.error}; nothing was removed`);
      if (outcome.kind === 'failed') throw new HttpError(500, `removal of ${ref} failed: ${outcome.error}; tags were restored`);
      const residual = orphanedResidual(rec.downloads, [id]);
      await removeResidual(d.archives, residual);
      const out = { images: rec.images, changed: new Map(), audit: [] as never[] };
      const now = rec.now();
      const reason = outcome.kind === 'removed' ? `removed by imagectl rmi ${ref}${residual.length ? ` with its residual data (${residual.length} cached archive)` : ''}` : 'found gone before rmi';
      applyEvent(out, img, { type: 'REMOVED', now, reason }, actorOf(req));
      rec.downloads.delete(id);
      await d.store.commit({ putImages: out.changed, audit: out.audit, deleteDownloads: [id] });
      return { image: id, removed: outcome.kind === 'removed' ? [...outcome.untagged, outcome.deleted] : [], residual };
    });
    rec.trigger('rmi');
    return result;
  });
}
