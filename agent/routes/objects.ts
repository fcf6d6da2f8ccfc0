/** Manifest objects: list, get, delete, apply (with server dry run). */
import type { ImagePolicy } from '../../crd/imagepolicy.js';
import { findKind } from '../../crd/kinds.js';
import type { StoredObject } from '../../store/store.js';
import { planApply, type ApplyResult, type IncomingObject } from '../apply.js';
import type { ApiDeps } from '../deps.js';
import { HttpError, readJson, type Router } from '../http.js';
import { policyItem } from '../views.js';
import { planView } from './images.js';

export function kindOf(s: string): string {
  const k = findKind(s);
  if (!k) throw new HttpError(400, `unknown kind ${JSON.stringify(s)}`);
  return k.kind;
}

/** An object as the API shows it: policies carry whether they apply to this node. */
function view(o: StoredObject, d: ApiDeps): unknown {
  return o.kind === 'ImagePolicy' ? policyItem(o as unknown as ImagePolicy, d.nodeLabels) : o;
}

/** Reload the desired state into the reconciler and run a pass on it. */
export async function desiredChanged(d: ApiDeps): Promise<void> {
  await d.reconciler.reloadDesired();
  await d.reconciler.runPass('apply');
}

function mergePolicies(live: StoredObject[], puts: StoredObject[]): ImagePolicy[] {
  const m = new Map(live.filter((o) => o.kind === 'ImagePolicy').map((o) => [o.metadata.name, o]));
  for (const p of puts) if (p.kind === 'ImagePolicy') m.set(p.metadata.name, p);
  return [...m.values()] as unknown as ImagePolicy[];
}

export function objectRoutes(r: Router, d: ApiDeps): void {
  r.on('GET', '/v1/objects/:kind', async (_q, _s, p) => {
    const kind = kindOf(p.kind!);
    const items = (await d.store.listObjects(kind)).map((o) => view(o, d));
    return { apiVersion: 'v1', kind: `${kind}List`, items };
  });

  r.on('GET', '/v1/objects/:kind/:name', async (_q, _s, p) => {
    const kind = kindOf(p.kind!);
    const o = await d.store.getObject(kind, p.name!);
    if (!o) throw new HttpError(404, `${kind.toLowerCase()} ${JSON.stringify(p.name)} not found`);
    return view(o, d);
  });

  r.on('DELETE', '/v1/objects/:kind/:name', async (_q, _s, p) => {
    const kind = kindOf(p.kind!);
    const o = await d.store.getObject(kind, p.name!);
    if (!o) throw new HttpError(404, `${kind.toLowerCase()} ${JSON.stringify(p.name)} not found`);
    await d.store.commit({ deleteObjects: [{ kind, name: p.name! }] });
    await desiredChanged(d);
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
      return { results, dryRun: 'server', plan: planView(d.reconciler, policies) };
    }
    if (puts.length > 0) {
      await d.store.commit({ putObjects: puts });
      await desiredChanged(d);
    }
    return { results };
  });
}
