/**
 * Applying a set of objects on the agent: validate, plan (crd/apply), write all or nothing, or a
 * server dry run. One queue for the API and the `--manifests` watch.
 */
import { randomUUID } from 'node:crypto';
import { acceptedManifests, type KindName } from '../../crd/api/object.js';
import { findKind } from '../../crd/kinds.js';
import type { StoredObject } from '../store/store.js';
import { afterPlan, APPLYSET_LABEL, applyOptionsProblem, planApply, type ApplyResult } from '../../crd/apply/applyset.js';
import { previewWorkloads } from '../workloads/preview.js';
import { Serial } from '../reconcile/loop.js';
import type { ApiDeps } from './deps.js';
import { HttpError } from './errors.js';
import { planView, policyItem } from './views.js';
import { setBudgetCheck, withinBudget } from './budget.js';

export function kindOf(s: string): KindName {
  const k = findKind(s);
  if (!k) throw new HttpError(400, `unknown kind ${JSON.stringify(s)}`);
  return k.kind;
}

/** An object as the API shows it: policies carry whether they apply to this node and why; objects of the `--manifests` set say so. */
export function view(o: StoredObject, d: ApiDeps): unknown {
  const w = d.watch?.status();
  const managed = w && o.metadata.labels?.[APPLYSET_LABEL] === w.applysetId
    ? { manifests: { dir: w.dir, applyset: w.applyset, lastAppliedAt: w.lastAppliedAt, error: w.error } }
    : {};
  if (o.kind === 'ImagePolicy') {
    const item = policyItem(o, d.nodeLabels, d.nodeConstraints);
    const disabled = d.reconciler.snapshot().disabledPolicies.get(o.metadata.name);
    const off = disabled ? { appliesToNode: false, reason: `disabled: over the cost budget: ${disabled}`, disabled } : {};
    return { ...item, status: { ...item.status, ...off, ...managed } };
  }
  return Object.keys(managed).length ? { ...o, status: managed } : o;
}

/** Reload the desired state into the reconciler and run a pass on it (`objects`: every stored object after the change, when the caller has them). */
export async function desiredChanged(d: ApiDeps, objects?: readonly StoredObject[]): Promise<void> {
  await d.reconciler.desiredChanged(objects);
}

/** Write desired objects; a store that refuses the write is the agent's trouble (503), not the request's. */
export async function commitObjects(d: ApiDeps, c: Parameters<ApiDeps['store']['commit']>[0], verb: string): Promise<void> {
  try {
    await d.store.commit(c);
  } catch (err) {
    throw new HttpError(503, `the agent's store does not take writes (${(err as Error).message}); nothing was ${verb}`);
  }
}

/** Applies, deletes and refreshes read, plan and write the store: one at a time (the API and the `--manifests` watch). */
const queues = new WeakMap<ApiDeps, Serial>();
export function serialized<T>(d: ApiDeps, fn: () => Promise<T>): Promise<T> {
  let q = queues.get(d);
  if (!q) queues.set(d, (q = new Serial()));
  return q.run(fn);
}

/** Server-managed fields are left out of what `diff` compares. */
function comparable(o: StoredObject | undefined) {
  if (!o) return undefined;
  const { uid: _uid, creationTimestamp: _ts, ...metadata } = o.metadata;
  return { apiVersion: o.apiVersion, kind: o.kind, metadata, spec: o.spec };
}

export interface ApplyRequest {
  objects: unknown;
  dryRun?: string;
  prune?: boolean;
  applyset?: string;
  /** server dry run: false leaves out the plan and the workload preview (`diff` needs only the changes) */
  plan?: boolean;
}

export interface ApplyResponse {
  results: ApplyResult[];
  dryRun?: 'server';
  /** server dry run: the images the set would make removable, now and later */
  plan?: unknown;
  /** server dry run: containers created or restarted, images pulled */
  workloads?: unknown[];
  /** server dry run: each changed object before and after, for `diff` */
  changes?: { kind: string; name: string; action: string; live?: unknown; after?: unknown }[];
}

/** Validate, plan and (unless a dry run) write a set: all or nothing. Throws HttpError with the problems. */
export async function applyObjects(d: ApiDeps, req: ApplyRequest): Promise<ApplyResponse> {
  if (!Array.isArray(req.objects)) throw new HttpError(400, 'body must be {"objects": [...]}');
  if (req.dryRun !== undefined && req.dryRun !== 'server' && req.dryRun !== 'none') throw new HttpError(400, `dryRun must be "server" or "none", got ${JSON.stringify(req.dryRun)}`);
  const optionProblem = applyOptionsProblem({ prune: req.prune, applyset: req.applyset });
  if (optionProblem) throw new HttpError(400, optionProblem);
  const problems = d.validate(req.objects);
  if (problems.length > 0) throw new HttpError(422, `${problems.length} invalid object(s); nothing was applied`, problems);
  const incoming = acceptedManifests(req.objects, problems);
  return serialized(d, async () => {
    const live = await d.store.listObjects();
    const plan = planApply(live, incoming, new Date(), randomUUID, { prune: req.prune, applyset: req.applyset });
    if (plan.problems.length > 0) throw new HttpError(409, `${plan.problems.length} conflict(s); nothing was applied`, plan.problems);
    const over = setBudgetCheck(live, plan);
    if (over.length > 0) throw new HttpError(422, `${over.length} invalid object(s); nothing was applied`, over);
    if (req.dryRun === 'server') {
      const byKey = new Map(live.map((o) => [`${o.kind}/${o.metadata.name}`, o]));
      const puts = new Map(plan.puts.map((o) => [`${o.kind}/${o.metadata.name}`, o]));
      const changes = plan.results
        .filter((r) => r.action !== 'unchanged')
        .map((r) => ({ ...r, live: comparable(byKey.get(`${r.kind}/${r.name}`)), after: comparable(puts.get(`${r.kind}/${r.name}`)) }));
      if (req.plan === false) return { results: plan.results, dryRun: 'server' as const, changes };
      const after = afterPlan(live, plan);
      const policies = withinBudget(after.filter((o) => o.kind === 'ImagePolicy'))
        .filter((p) => policyItem(p, d.nodeLabels, d.nodeConstraints).status.appliesToNode);
      const snap = d.reconciler.snapshot();
      const seen = { images: snap.lastObservation?.images ?? [], containers: snap.lastObservation?.containers ?? [] };
      return {
        results: plan.results,
        dryRun: 'server' as const,
        plan: planView(snap, policies, await d.reconciler.imageBytes()),
        workloads: previewWorkloads(live, plan, { ...seen, statuses: snap.statuses, defaultPullPolicy: d.defaultPullPolicy }),
        changes,
      };
    }
    if (plan.puts.length > 0 || plan.deletes.length > 0) {
      await commitObjects(d, { putObjects: plan.puts, deleteObjects: plan.deletes }, 'applied');
      await desiredChanged(d, afterPlan(live, plan));
    }
    return { results: plan.results };
  });
}
