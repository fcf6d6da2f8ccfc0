/** Manifest objects: list, get, describe, delete, apply (with prune and server dry run). */
import type { AuditRecord } from '../../../crd/api/audit.js';
import type { StoredObject } from '../../store/store.js';
import type { ApplyResult } from '../../../crd/apply/applyset.js';
import { applyObjects, commitObjects, desiredChanged, kindOf, serialized, view, type ApplyRequest } from '../../service/apply.js';
import type { ApiDeps } from '../../service/deps.js';
import { HttpError, readJson, type Router } from '../http.js';

/** Audit records whose reason names one of the policy's rules, newest last. */
async function policyEvents(d: ApiDeps, o: StoredObject, limit = 20): Promise<AuditRecord[]> {
  const mark = `${o.metadata.name}/`;
  const out: AuditRecord[] = [];
  for await (const a of d.store.auditLog({ since: Date.parse(o.metadata.creationTimestamp) || 0 })) {
    if (a.reason.includes(`rule ${mark}`) || a.reason.includes(`${mark}removal[`) || a.reason.includes(`${mark}keep[`)) {
      out.push(a);
      if (out.length > limit) out.shift();
    }
  }
  return out;
}

export function objectRoutes(r: Router, d: ApiDeps): void {
  r.on('GET', '/v1/objects/:kind', async (_q, _s, p) => {
    const kind = kindOf(p.kind!);
    const items = (await d.store.listObjects(kind)).map((o) => view(o, d));
    return { apiVersion: 'v1', kind: `${kind}List`, items, ...(d.watch ? { manifests: d.watch.status() } : {}) };
  });

  r.on('GET', '/v1/objects/:kind/:name', async (_q, _s, p) => {
    const kind = kindOf(p.kind!);
    const o = await d.store.getObject(kind, p.name!);
    if (!o) throw new HttpError(404, `${kind.toLowerCase()} ${JSON.stringify(p.name)} not found`);
    return view(o, d);
  });

  r.on('GET', '/v1/objects/:kind/:name/describe', async (_q, _s, p) => {
    const kind = kindOf(p.kind!);
    const o = await d.store.getObject(kind, p.name!);
    if (!o) throw new HttpError(404, `${kind.toLowerCase()} ${JSON.stringify(p.name)} not found`);
    return { object: view(o, d), events: kind === 'ImagePolicy' ? await policyEvents(d, o) : [] };
  });

  r.on('DELETE', '/v1/objects/:kind/:name', async (_q, _s, p) => {
    const kind = kindOf(p.kind!);
    return serialized(d, async () => {
      const o = await d.store.getObject(kind, p.name!);
      if (!o) throw new HttpError(404, `${kind.toLowerCase()} ${JSON.stringify(p.name)} not found`);
      await commitObjects(d, { deleteObjects: [{ kind, name: p.name! }] }, 'deleted');
      await desiredChanged(d);
      return { results: [{ kind, name: p.name!, action: 'deleted' } satisfies ApplyResult] };
    });
  });

  r.on('POST', '/v1/apply', async (req) => {
    const body = (await readJson(req)) as ApplyRequest | null;
    if (!body || typeof body !== 'object') throw new HttpError(400, 'body must be {"objects": [...]}');
    return applyObjects(d, body);
  });
}
