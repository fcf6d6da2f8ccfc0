/**
 * `imagectl agent --fleet URL --node-name NAME`: the device's side. It watches `imagectl-manifests`
 * and applies a set only through a `_commit` whose revisions it holds (objects are written before
 * their `_commit`, so the watch has them by then; a revision it lacks is fetched, and a set that
 * cannot be had whole is not applied). It validates every object with the agent's own validators,
 * keeps those that select this node (crd/fleet/select.ts) and applies them as its own applyset
 * through the agent's apply path, pruning what no longer selects it. A set that does not validate
 * is refused: the last good set stays, the status says why (`ready: false`) and the audit log has
 * it. Without the hub the agent goes on enforcing what it applied; on reconnect it reads the latest
 * `_commit` first, then sends its unsent audit records, in order.
 */
import type { NatsConnection } from '@nats-io/transport-node';
import type { KV, KvEntry } from '@nats-io/kv';
import { apiCallRecord } from '../../crd/api/audit.js';
import { decodeCommit } from '../../crd/fleet/commit.js';
import { COMMIT_KEY, nodeNameProblem } from '../../crd/fleet/names.js';
import { asManifest, FLEET_APPLYSET, selectsDevice, type PublishedObject } from '../../crd/fleet/select.js';
import type { ApiDeps } from '../service/deps.js';
import type { Logger } from '../reconcile/reconciler.js';
import { applyObjects } from '../service/apply.js';
import { HttpError } from '../service/errors.js';
import { openPlaces } from './buckets.js';
import { AuditOutbox } from './audit-outbox.js';
import { StatusReporter } from './device-status.js';
import { listenForCommands } from './device-commands.js';

export type DeviceLog = Logger;

export interface FleetDeviceOptions {
  node: string;
  /** a connection that reconnects by itself (connectForever), or one promised */
  connection: Promise<NatsConnection>;
  deps: ApiDeps;
  log: DeviceLog;
  /** the agent's API socket: fleet pull/rmi run there, as a local `imagectl pull|rmi` does */
  socket?: string;
  heartbeatMs?: number;
  /** how often the status is compared with the last one written (it is written only when it changed) */
  checkMs?: number;
  /** the audit outbox's batch (records in flight at once) */
  auditBatch?: number;
  /** how often the latest `_commit` is read besides the watch (a watch whose consumer was lost with a server goes quiet), ms */
  resyncMs?: number;
}

/** What the device applied last, kept in its store across restarts. */
export interface FleetApplied {
  revision: number | null;
  objects: string[];
  /** why the last `_commit` was refused (the last good set stays), or null */
  error: string | null;
}

const APPLIED_META = 'fleetApplied';
/** one direct get of `_commit` this often: the bound on convergence when a watch went quiet */
const RESYNC_MS = 10_000;

export class FleetDevice {
  applied: FleetApplied = { revision: null, objects: [], error: null };
  connected = false;
  private nc: NatsConnection | null = null;
  private manifests: KV | null = null;
  private readonly cache = new Map<string, KvEntry>();
  private stopped = false;
  get stopping(): boolean {
    return this.stopped;
  }
  private chain: Promise<void> = Promise.resolve();
  readonly status: StatusReporter;
  readonly outbox: AuditOutbox;
  private watching: Promise<void> | null = null;
  private watcher: { stop(): void } | null = null;
  private safety: NodeJS.Timeout | null = null;

  constructor(readonly o: FleetDeviceOptions) {
    const problem = nodeNameProblem(o.node);
    if (problem) throw new Error(problem);
    this.status = new StatusReporter({ node: o.node, deps: o.deps, device: this, heartbeatMs: o.heartbeatMs, checkMs: o.checkMs, log: o.log });
    this.outbox = new AuditOutbox({ node: o.node, store: o.deps.store, log: o.log, batch: o.auditBatch });
  }

  /** Start following the hub; returns at once (the agent does not wait for the hub). */
  async start(): Promise<void> {
    this.applied = (await this.o.deps.store.getMeta<FleetApplied>(APPLIED_META)) ?? this.applied;
    this.o.deps.store.on('audit', this.onAudit);
    this.watching = this.o.connection.then((nc) => this.run(nc), (err: unknown) => this.o.log.error({ error: (err as Error).message }, 'fleet: cannot connect to the hub'));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.o.deps.store.off('audit', this.onAudit);
    if (this.safety) clearInterval(this.safety);
    this.watcher?.stop();
    this.status.stop();
    this.outbox.stop();
    await this.chain;
    // not connected yet: the connecting loop sees `stopping` and gives up on its own
    if (!this.nc) return;
    await this.nc.close().catch(() => undefined);
    await this.watching;
  }

  private readonly onAudit = () => {
    this.status.changed();
    this.outbox.kick();
  };

  private async run(nc: NatsConnection): Promise<void> {
    if (this.stopped) return void (await nc.close().catch(() => undefined));
    this.nc = nc;
    this.connected = true;
    void this.followStatus(nc);
    const places = await this.bind(nc);
    if (!places || this.stopped) return;
    this.manifests = places.manifests;
    this.status.attach(places.nodes);
    this.outbox.attach(places.js);
    if (this.o.socket) listenForCommands(nc, this.o.node, this.o.socket, this.o.log);
    this.o.log.info({ node: this.o.node, server: nc.getServer() }, 'fleet: connected to the hub');
    // a watch that went quiet without an error (its server gone, its consumer lost) is caught up by this
    this.safety = setInterval(() => this.enqueue(() => this.catchUp()), this.o.resyncMs ?? RESYNC_MS);
    this.safety.unref();
    await this.watch(places.manifests);
  }

  /** Bind to the buckets, waiting for a publisher to make them. */
  private async bind(nc: NatsConnection) {
    for (let wait = 500; !this.stopped; wait = Math.min(wait * 2, 10_000)) {
      try {
        const p = await openPlaces(nc, { create: false });
        await p.manifests.get(COMMIT_KEY);
        return p;
      } catch (err) {
        this.o.log.warn({ error: (err as Error).message }, 'fleet: the hub has no fleet buckets yet; waiting for a publisher');
        await new Promise((r) => setTimeout(r, wait));
      }
    }
    return null;
  }

  /** Connection events: on reconnect, the latest `_commit` first, then the unsent audit records. */
  private async followStatus(nc: NatsConnection): Promise<void> {
    for await (const s of nc.status()) {
      if (s.type === 'disconnect') this.connected = false;
      if (s.type === 'reconnect') {
        this.connected = true;
        this.o.log.info({ server: nc.getServer() }, 'fleet: reconnected');
        // the watch's consumer may have lived on the server that went away: watch anew
        this.watcher?.stop();
        this.enqueue(() => this.catchUp(true));
      }
    }
  }

  /** The latest `_commit`, applied when it is not what the device has; `retry`: until the hub answers (a cluster electing a leader). */
  private async catchUp(retry = false): Promise<void> {
    const m = this.manifests;
    if (!m) return;
    for (let wait = 250; !this.stopped; wait = Math.min(wait * 2, 5_000)) {
      const c = await m.get(COMMIT_KEY).then((e) => ({ e }), () => null);
      if (c) {
        if (c.e && c.e.operation === 'PUT' && c.e.revision !== this.applied.revision) await this.applyCommit(c.e, true);
        break;
      }
      if (!retry) break;
      await new Promise((r) => setTimeout(r, wait));
    }
    this.outbox.kick();
    this.status.changed();
  }

  private async watch(kv: KV): Promise<void> {
    while (!this.stopped) {
      try {
        const it = await kv.watch();
        this.watcher = it;
        for await (const e of it) {
          if (this.stopped) break;
          this.cache.set(e.key, e);
          if (e.key === COMMIT_KEY && e.operation === 'PUT') this.enqueue(() => this.applyCommit(e));
        }
      } catch (err) {
        if (!this.stopped) this.o.log.warn({ error: (err as Error).message }, 'fleet: the watch of the manifests ended; watching again');
      }
      if (!this.stopped) await new Promise((r) => setTimeout(r, 1000));
    }
  }

  private enqueue(fn: () => Promise<void>): void {
    this.chain = this.chain.then(fn).catch((err: unknown) => this.o.log.error({ error: (err as Error).message }, 'fleet: applying the set failed'));
  }

  /** The entry of `key` at `rev`: from the watch when it has it, else from the hub. */
  private async entryAt(key: string, rev: number): Promise<KvEntry | null> {
    const c = this.cache.get(key);
    if (c && c.revision === rev) return c;
    return (await this.manifests!.get(key, { revision: rev }).catch(() => null)) ?? null;
  }

  private async applyCommit(e: KvEntry, fromHub = false): Promise<void> {
    if (this.stopped) return;
    if (fromHub && e.revision > (this.cache.get(COMMIT_KEY)?.revision ?? 0)) this.cache.set(COMMIT_KEY, e);
    const latest = this.cache.get(COMMIT_KEY);
    if (latest && latest.revision > e.revision) return; // a newer commit is queued
    if (e.revision === this.applied.revision && !this.applied.error) return;
    const d = decodeCommit(e.string());
    if (!d.ok) return this.refuse(e.revision, d.error);
    const objects: PublishedObject[] = [];
    for (const [key, rev] of Object.entries(d.commit.objects)) {
      const entry = await this.entryAt(key, rev);
      if (!entry || entry.operation !== 'PUT') return this.refuse(e.revision, `${key} revision ${rev} is not in the bucket (the set is incomplete)`);
      try {
        objects.push(asManifest(entry.json<PublishedObject>()));
      } catch (err) {
        return this.refuse(e.revision, `${key} revision ${rev} is not JSON: ${(err as Error).message}`);
      }
    }
    const problems = this.o.deps.validate(objects);
    if (problems.length > 0) return this.refuse(e.revision, `${problems.length} invalid object(s): ${problems.join('; ')}`);
    const facts = { labels: this.o.deps.nodeLabels, constraints: this.o.deps.nodeConstraints };
    const mine = objects.filter((o) => selectsDevice(o, facts));
    try {
      const r = await applyObjects(this.o.deps, { objects: mine, prune: true, applyset: FLEET_APPLYSET });
      const changed = r.results.filter((x) => x.action !== 'unchanged').map((x) => `${x.kind.toLowerCase()}/${x.name} ${x.action}`);
      await this.record(e.revision, mine.map((o) => `${String(o.kind).toLowerCase()}/${String(o.metadata?.name)}`), null);
      if (changed.length) await this.audit(true, `fleet revision ${e.revision}: ${changed.join(', ')}`);
      this.o.log.info({ revision: e.revision, selected: mine.length, of: objects.length, results: changed }, 'fleet: set applied');
    } catch (err) {
      const details = err instanceof HttpError && Array.isArray(err.details) ? `: ${(err.details as string[]).join('; ')}` : '';
      return this.refuse(e.revision, `${(err as Error).message}${details}`);
    }
  }

  private async refuse(revision: number, why: string): Promise<void> {
    const error = `fleet revision ${revision} refused: ${why}; the last good set (revision ${this.applied.revision ?? 'none'}) stays applied`;
    if (error === this.applied.error) return;
    this.o.log.warn({ revision, error: why }, 'fleet: set refused');
    await this.record(this.applied.revision, this.applied.objects, error);
    await this.audit(false, error);
  }

  private async record(revision: number | null, objects: string[], error: string | null): Promise<void> {
    this.applied = { revision, objects, error };
    await this.o.deps.store.putMeta(APPLIED_META, this.applied).catch((err: unknown) => this.o.log.warn({ error: (err as Error).message }, 'fleet: the applied revision was not stored'));
    this.status.changed(true);
  }

  private async audit(ok: boolean, reason: string): Promise<void> {
    const r = apiCallRecord({ time: this.o.deps.reconciler.now(), verb: 'apply', ok, reason: reason.slice(0, 2000), actor: `fleet ${this.o.node}` });
    await this.o.deps.store.commit({ audit: [r] }).catch((err: unknown) => this.o.log.warn({ error: (err as Error).message }, 'fleet: the audit record was not written'));
  }
}
