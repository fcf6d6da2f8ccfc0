/**
 * The publisher's side of the fleet: the set in `imagectl-manifests` as the hub holds it, and
 * apply/delete against it with the agent's own rules (crd/apply: validated in full first, kubectl's
 * verdicts, ApplySet pruning). A publish writes its objects first and `_commit` last, with the
 * expected revision of the previous `_commit`, so two publishers never interleave unnoticed and a
 * device never sees half a set.
 */
import type { KV } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import { randomUUID } from 'node:crypto';
import { afterPlan, applyOptionsProblem, planApply, type ApplyResult } from '../../crd/apply/applyset.js';
import { acceptedManifests, type StoredObject } from '../../crd/api/object.js';
import { decodeCommit, encodeCommit, type FleetCommit } from '../../crd/fleet/commit.js';
import { COMMIT_KEY, objectKey } from '../../crd/fleet/names.js';
import { validateForServer } from '../../crd/server.js';
import { openPlaces, type FleetPlaces } from './buckets.js';
import { connectOnce, fleetUser, type FleetAuth } from './connect.js';

/** A refusal with the agent API's shape: status, message, the problems one per line. */
export class HubError extends Error {
  constructor(readonly status: number, message: string, readonly details?: string[]) {
    super(message);
  }
}

export interface HubApplyRequest {
  objects: unknown;
  dryRun?: string;
  prune?: boolean;
  applyset?: string;
}

export interface HubApplyResponse {
  results: ApplyResult[];
  dryRun?: 'server';
  changes?: { kind: string; name: string; action: string; live?: unknown; after?: unknown }[];
  /** the revision of the `_commit` written, or null when nothing changed */
  revision?: number | null;
}

export interface LiveSet {
  /** the revision of the current `_commit`, or 0 before the first publish */
  revision: number;
  objects: StoredObject[];
}

function comparable(o: StoredObject | undefined) {
  if (!o) return undefined;
  const { uid: _uid, creationTimestamp: _ts, ...metadata } = o.metadata;
  return { apiVersion: o.apiVersion, kind: o.kind, metadata, spec: o.spec };
}

export class Hub {
  private constructor(readonly places: FleetPlaces, readonly publisher: string) {}

  static async connect(auth: FleetAuth, name = 'imagectl'): Promise<Hub> {
    const nc = await connectOnce(auth, name);
    try {
      return new Hub(await openPlaces(nc, { create: true }), fleetUser(auth.url) ?? 'imagectl');
    } catch (err) {
      await nc.close().catch(() => undefined);
      throw new HubError(503, `the fleet hub has no usable JetStream (${(err as Error).message}); is nats-server running with -js, and may this user create the fleet's buckets?`);
    }
  }

  /** Use a connection made elsewhere (the benchmarks' hub, the `fleet publish` loop). */
  static async over(nc: NatsConnection, publisher = 'imagectl'): Promise<Hub> {
    return new Hub(await openPlaces(nc, { create: true }), publisher);
  }

  get nc(): NatsConnection {
    return this.places.nc;
  }

  get manifests(): KV {
    return this.places.manifests;
  }

  async close(): Promise<void> {
    await this.places.nc.drain().catch(() => undefined);
  }

  /** The set of the current `_commit`, each object at the revision it lists. */
  async live(): Promise<LiveSet> {
    const c = await this.manifests.get(COMMIT_KEY);
    if (!c || c.operation !== 'PUT') return { revision: 0, objects: [] };
    const d = decodeCommit(c.string());
    if (!d.ok) throw new HubError(409, `the fleet's ${COMMIT_KEY} was written by hand and cannot be read (${d.error}); nothing was applied: put the previous ${COMMIT_KEY} back (its history is in the bucket) or delete the key to start the set anew`);
    const entries = await Promise.all(Object.entries(d.commit.objects).map(([k, rev]) => this.manifests.get(k, { revision: rev })));
    const objects = entries.filter((e) => e && e.operation === 'PUT').map((e) => e!.json<StoredObject>());
    return { revision: c.revision, objects };
  }

  /** Validate, plan against the live set, and write all or nothing (or say what would change). */
  async apply(req: HubApplyRequest): Promise<HubApplyResponse> {
    if (!Array.isArray(req.objects)) throw new HubError(400, 'body must be {"objects": [...]}');
    const optionProblem = applyOptionsProblem({ prune: req.prune, applyset: req.applyset });
    if (optionProblem) throw new HubError(400, optionProblem);
    const problems = validateForServer(req.objects);
    if (problems.length > 0) throw new HubError(422, `${problems.length} invalid object(s); nothing was applied`, problems);
    const live = await this.live();
    const plan = planApply(live.objects, acceptedManifests(req.objects, problems), new Date(), randomUUID, { prune: req.prune, applyset: req.applyset });
    if (plan.problems.length > 0) throw new HubError(409, `${plan.problems.length} conflict(s); nothing was applied`, plan.problems);
    if (req.dryRun === 'server') {
      const byKey = new Map(live.objects.map((o) => [`${o.kind}/${o.metadata.name}`, o]));
      const puts = new Map(plan.puts.map((o) => [`${o.kind}/${o.metadata.name}`, o]));
      const changes = plan.results
        .filter((r) => r.action !== 'unchanged')
        .map((r) => ({ ...r, live: comparable(byKey.get(`${r.kind}/${r.name}`)), after: comparable(puts.get(`${r.kind}/${r.name}`)) }));
      return { results: plan.results, dryRun: 'server', changes };
    }
    if (plan.puts.length === 0 && plan.deletes.length === 0) return { results: plan.results, revision: null };
    const revision = await this.write(live, afterPlan(live.objects, plan), plan.puts, plan.deletes);
    return { results: plan.results, revision };
  }

  /** Delete one object from the set: a publish without it. */
  async deleteObject(kind: string, name: string): Promise<boolean> {
    const live = await this.live();
    const gone = live.objects.find((o) => o.kind === kind && o.metadata.name === name);
    if (!gone) return false;
    const rest = live.objects.filter((o) => o !== gone);
    await this.write(live, rest, [], [{ kind, name }]);
    return true;
  }

  /** Objects first, `_commit` last (expecting the revision read): returns the new `_commit`'s revision. */
  private async write(live: LiveSet, after: StoredObject[], puts: StoredObject[], deletes: { kind: string; name: string }[]): Promise<number> {
    const revisions = new Map<string, number>();
    const previous = await this.currentRevisions(live);
    for (const o of after) {
      const k = objectKey(o.kind, o.metadata.name);
      const rev = previous.get(k);
      if (rev !== undefined) revisions.set(k, rev);
    }
    for (const o of puts) revisions.set(objectKey(o.kind, o.metadata.name), await this.manifests.put(objectKey(o.kind, o.metadata.name), JSON.stringify(o)));
    for (const d of deletes) await this.manifests.delete(objectKey(d.kind, d.name));
    const commit: FleetCommit = { objects: Object.fromEntries(revisions), publishedAt: new Date().toISOString(), publisher: this.publisher };
    try {
      return live.revision === 0
        ? await this.manifests.create(COMMIT_KEY, encodeCommit(commit))
        : await this.manifests.update(COMMIT_KEY, encodeCommit(commit), live.revision);
    } catch (err) {
      throw new HubError(409, `another publisher wrote the fleet's set meanwhile (${(err as Error).message}); the devices keep the previous set: apply again`);
    }
  }

  /** The revisions the current `_commit` lists. */
  private async currentRevisions(live: LiveSet): Promise<Map<string, number>> {
    if (live.revision === 0) return new Map();
    const c = await this.manifests.get(COMMIT_KEY, { revision: live.revision });
    const d = c ? decodeCommit(c.string()) : null;
    return new Map(d?.ok ? Object.entries(d.commit.objects) : []);
  }
}
