/**
 * The agent's local HTTP API (served on a unix socket, mode 0600). Every CLI command but `agent`
 * is a client of it; the CLI never opens the store.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ImagePolicy } from '../crd/imagepolicy.js';
import type { Reconciler } from '../controller/reconciler.js';
import type { AuditRecord } from '../lib/audit.js';
import { VERSION } from '../lib/version.js';
import type { Store, StoredObject } from '../store/store.js';
import { planApply, type ApplyResult, type IncomingObject } from './apply.js';
import { HttpError, readJson, Router } from './http.js';
import { explainImage, imageItem, policyItem, resolveImage } from './views.js';

export interface ApiDeps {
  store: Store;
  reconciler: Reconciler;
  nodeLabels: Record<string, string>;
  /** server-side validation; returns error messages (empty when valid) */
  validate: (objects: unknown[]) => string[];
  stateDir: string;
}

const KIND_ALIASES: Record<string, string> = {
  imagepolicy: 'ImagePolicy', imagepolicies: 'ImagePolicy', policy: 'ImagePolicy', policies: 'ImagePolicy', ip: 'ImagePolicy',
};

export function kindOf(s: string): string {
  const k = KIND_ALIASES[s.toLowerCase()] ?? (Object.values(KIND_ALIASES).includes(s) ? s : undefined);
  if (!k) throw new HttpError(400, `unknown kind ${JSON.stringify(s)}; known: imagepolicy`);
  return k;
}

function one<T>(hits: T[], ref: string): T {
  if (hits.length === 0) throw new HttpError(404, `image ${JSON.stringify(ref)} not found`);
  if (hits.length > 1) throw new HttpError(409, `image reference ${JSON.stringify(ref)} is ambiguous: it matches ${hits.length} images`);
  return hits[0]!;
}

export function buildApi(d: ApiDeps): Router {
  const r = new Router();
  const rec = d.reconciler;

  r.on('GET', '/v1/health', async () => ({
    kind: 'Health', version: VERSION, pid: process.pid, stateDir: d.stateDir, nodeLabels: d.nodeLabels,
    engine: rec.engine, passes: rec.passes, lastPass: rec.lastPass,
    nextDueAt: rec.nextDueAt === null ? null : new Date(rec.nextDueAt).toISOString(),
  }));

  r.on('GET', '/v1/images', async (_q, _s, _p, url) => {
    const all = url.searchParams.get('all') === 'true';
    const items = [...rec.images.values()].filter((p) => all || p.state !== 'removed').map(imageItem);
    items.sort((a, b) => (a.status.tags[0] ?? '~' + a.metadata.name).localeCompare(b.status.tags[0] ?? '~' + b.metadata.name));
    return { apiVersion: 'v1', kind: 'ImageList', items, engine: rec.engine };
  });

  r.on('GET', '/v1/images/:ref', async (_q, _s, p) => imageItem(one(resolveImage(rec.images, p.ref!), p.ref!)));

  r.on('GET', '/v1/images/:ref/describe', async (_q, _s, p) => {
    const img = one(resolveImage(rec.images, p.ref!), p.ref!);
    const events = (await d.store.auditForImage(img.context.id)).slice(-20);
    return { image: imageItem(img), ...explainImage(img, rec.selectedPolicies()), events };
  });

  r.on('GET', '/v1/objects/:kind', async (_q, _s, p) => {
    const kind = kindOf(p.kind!);
    const items = (await d.store.listObjects(kind)).map((o) => policyItem(o as unknown as ImagePolicy, d.nodeLabels));
    return { apiVersion: 'v1', kind: `${kind}List`, items };
  });

  r.on('GET', '/v1/objects/:kind/:name', async (_q, _s, p) => {
    const kind = kindOf(p.kind!);
    const o = await d.store.getObject(kind, p.name!);
    if (!o) throw new HttpError(404, `${kind.toLowerCase()} ${JSON.stringify(p.name)} not found`);
    return policyItem(o as unknown as ImagePolicy, d.nodeLabels);
  });

  r.on('DELETE', '/v1/objects/:kind/:name', async (_q, _s, p) => {
    const kind = kindOf(p.kind!);
    const o = await d.store.getObject(kind, p.name!);
    if (!o) throw new HttpError(404, `${kind.toLowerCase()} ${JSON.stringify(p.name)} not found`);
    await d.store.commit({ deleteObjects: [{ kind, name: p.name! }] });
    await reloadPolicies(d);
    return { results: [{ kind, name: p.name!, action: 'deleted' } satisfies ApplyResult] };
  });

  r.on('POST', '/v1/apply', async (req) => {
    const body = (await readJson(req)) as { objects?: unknown; dryRun?: string };
    if (!body || !Array.isArray(body.objects)) throw new HttpError(400, 'body must be {"objects": [...]}');
    const problems = d.validate(body.objects);
    if (problems.length > 0) throw new HttpError(422, `${problems.length} invalid object(s); nothing was applied`, problems);
    const incoming = body.objects as IncomingObject[];
    const live = await d.store.listObjects();
    const { results, puts } = planApply(live, incoming, new Date());
    if (body.dryRun === 'server') {
      const policies = mergePolicies(live, puts).filter((p) => policyItem(p, d.nodeLabels).status.appliesToNode);
      return { results, dryRun: 'server', plan: planView(rec, policies) };
    }
    if (puts.length > 0) {
      await d.store.commit({ putObjects: puts });
      await reloadPolicies(d);
    }
    return { results };
  });

  r.on('GET', '/v1/plan', async () => {
    if (!rec.lastObservation) throw new HttpError(503, `the agent has not observed the engine yet: ${rec.engine.error ?? ''}`);
    return planView(rec, rec.selectedPolicies());
  });

  r.on('GET', '/v1/audit', async (req, res, _p, url) => {
    const ref = url.searchParams.get('image');
    const since = url.searchParams.has('since') ? Number(url.searchParams.get('since')) : undefined;
    const follow = url.searchParams.get('follow') === 'true';
    const id: string | undefined = ref ? one(resolveImage(rec.images, ref), ref).context.id : undefined;
    res.writeHead(200, { 'content-type': 'application/x-ndjson' });
    const write = (a: AuditRecord) => res.write(`${JSON.stringify(a)}\n`);
    if (id) for (const a of await d.store.auditForImage(id, { since })) write(a);
    else for await (const a of d.store.auditLog({ since })) write(a);
    if (!follow) {
      res.end();
      return;
    }
    const onAudit = (a: AuditRecord) => {
      if (!id || a.image === id) write(a);
    };
    d.store.on('audit', onAudit);
    await new Promise<void>((resolve) => req.on('close', resolve));
    d.store.off('audit', onAudit);
  });

  return r;
}

async function reloadPolicies(d: ApiDeps): Promise<void> {
  d.reconciler.setPolicies((await d.store.listObjects('ImagePolicy')) as unknown as ImagePolicy[]);
  await d.reconciler.runPass('apply');
}

function mergePolicies(live: StoredObject[], puts: StoredObject[]): ImagePolicy[] {
  const m = new Map(live.filter((o) => o.kind === 'ImagePolicy').map((o) => [o.metadata.name, o]));
  for (const p of puts) if (p.kind === 'ImagePolicy') m.set(p.metadata.name, p);
  return [...m.values()] as unknown as ImagePolicy[];
}

/** What would be removed now and later, and by which rule: the pure planner, not acted on. */
function planView(rec: Reconciler, policies: ImagePolicy[]) {
  const now = Date.now();
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
        protectedBy: item.status.protectedBy, sizeBytes: p.context.sizeBytes,
      };
    })
    .sort((a, b) => (a.removeAt ?? '~').localeCompare(b.removeAt ?? '~'));
  return { now: new Date(now).toISOString(), items };
}

export type { IncomingMessage, ServerResponse };
