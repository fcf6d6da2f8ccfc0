/**
 * The hub, followed live for the dashboard: a KV watch of `imagectl-nodes` (every device's status),
 * a watch of `_commit` in `imagectl-manifests`, and an ordered consumer of IMAGECTL_AUDIT from 24 h
 * ago on. Each feeds the model (model.ts) and calls `onChange`. The dashboard only reads: it binds
 * to the places without creating them (a hub that has none yet is waited for), so a read-only NATS
 * user will do. A watch that ends (its server gone, the connection back) is started again; the
 * audit consumer resumes after the last record taken in, so no record is shown twice.
 */
import { DeliverPolicy, type JetStreamClient } from '@nats-io/jetstream';
import type { KV } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import { AUDIT_STREAM, COMMIT_KEY } from '../../../crd/fleet/names.js';
import { openPlaces } from '../buckets.js';
import { DAY_MS, FleetModel } from './model.js';

export interface FeedLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export interface FeedOptions {
  nc: NatsConnection;
  model: FleetModel;
  onChange: () => void;
  log: FeedLog;
  now?: () => number;
}

const RETRY_MS = 1_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class FleetFeed {
  private stopped = false;
  private readonly stoppers = new Set<() => void>();
  private loops: Promise<void>[] = [];
  private readonly now: () => number;

  constructor(private readonly o: FeedOptions) {
    this.now = o.now ?? Date.now;
  }

  /** Bind to the places and follow them; resolves once the current statuses and `_commit` are in. */
  async start(): Promise<void> {
    const places = await this.bind();
    if (!places) return;
    let nodesIn!: () => void;
    const initial = new Promise<void>((r) => (nodesIn = r));
    this.loops = [
      this.follow('nodes', places.nodes, '>', (e) => this.o.model.putNode(e.key, e.operation === 'PUT' ? e.string() : null, this.now()), nodesIn),
      this.follow('commit', places.manifests, COMMIT_KEY, (e) => this.o.model.putCommit(e.revision, e.operation === 'PUT' ? e.string() : null)),
    ];
    await initial;
    this.loops.push(this.audit(places.js));
    void this.reconnects();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const s of this.stoppers) s();
    await Promise.allSettled(this.loops);
  }

  /** The fleet's places, waiting for a publisher to make them. */
  private async bind() {
    for (let wait = 500; !this.stopped; wait = Math.min(wait * 2, 10_000)) {
      try {
        return await openPlaces(this.o.nc, { create: false });
      } catch (err) {
        this.o.log.warn({ error: (err as Error).message }, 'dashboard: the hub has no fleet buckets yet; waiting for a publisher');
        await sleep(wait);
      }
    }
    return null;
  }

  /** Watch `key` of `kv` for ever; `ready` once the current values are in (also for an empty bucket). */
  private async follow(what: string, kv: KV, key: string, put: (e: { key: string; revision: number; operation: string; string(): string }) => void, ready?: () => void): Promise<void> {
    while (!this.stopped) {
      try {
        const empty = (await kv.status()).values === 0;
        const it = await kv.watch({ key });
        const stop = () => it.stop();
        this.stoppers.add(stop);
        if (empty) ready?.();
        for await (const e of it) {
          put(e);
          if (e.delta === 0 || e.isUpdate) ready?.();
          this.o.onChange();
        }
        this.stoppers.delete(stop);
      } catch (err) {
        if (!this.stopped) this.o.log.warn({ error: (err as Error).message }, `dashboard: the watch of the ${what} ended; watching again`);
      }
      if (!this.stopped) await sleep(RETRY_MS);
    }
  }

  /** The audit stream from 24 h ago (or after the last record taken in) on, for ever. */
  private async audit(js: JetStreamClient): Promise<void> {
    while (!this.stopped) {
      try {
        const after = this.o.model.lastSeq;
        const c = await js.consumers.get(AUDIT_STREAM, after > 0
          ? { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: after + 1 }
          : { deliver_policy: DeliverPolicy.StartTime, opt_start_time: new Date(this.now() - DAY_MS).toISOString() });
        const msgs = await c.consume({ max_messages: 512 });
        const stop = () => void msgs.stop();
        this.stoppers.add(stop);
        for await (const m of msgs) {
          try {
            this.o.model.addAudit(m.seq, m.json(), this.now());
            this.o.onChange();
          } catch {
            // not a record (written by hand)
          }
        }
        this.stoppers.delete(stop);
      } catch (err) {
        if (!this.stopped) this.o.log.warn({ error: (err as Error).message }, 'dashboard: the audit consumer ended; consuming again');
      }
      if (!this.stopped) await sleep(RETRY_MS);
    }
  }

  /** After a reconnect the watches' consumers may have lived on the server that went away: watch anew. */
  private async reconnects(): Promise<void> {
    for await (const s of this.o.nc.status()) {
      if (this.stopped) return;
      if (s.type === 'reconnect') {
        this.o.log.info({ server: this.o.nc.getServer() }, 'dashboard: reconnected to the hub; watching anew');
        for (const stop of this.stoppers) stop();
      }
    }
  }
}
