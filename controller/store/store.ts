/**
 * The agent's one LevelDB store: applied manifests, image machine snapshots, agent downloads and an
 * append-only audit log indexed by image. Only the agent opens it (one instance per process: a failed
 * second open in the same process would release the LevelDB lock). Every pass commits in one atomic
 * batch.
 */
import { EventEmitter } from 'node:events';
import { renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Level } from 'level';
import type { AuditRecord, LogRecord } from '../../crd/api/audit.js';
import { isKind, type KindName, type StoredObject, type StoredOf } from '../../crd/api/object.js';
import type { PersistedImage } from '../../statemachines/runtime.js';
import type { DownloadRecord } from './records.js';
import { securePrivate } from './perms.js';
import { AuditKeys, fromSince, sinceKey } from './audit-keys.js';
import { copyLogs, recoveryDrops } from './recovery.js';
import { StoreDamagedError, StoreLockedError } from './errors.js';

export { StoreDamagedError, StoreLockedError } from './errors.js';
export type { StoredObject } from '../../crd/api/object.js';

export const SCHEMA_VERSION = 1;
/** The sublevels of the store, in the order `verify` reads them. */
export const SUBLEVELS = ['meta', 'objects', 'images', 'downloads', 'statuses', 'audit', 'audit-by-image'] as const;

export interface Commit {
  putObjects?: StoredObject[];
  deleteObjects?: { kind: string; name: string }[];
  putImages?: Iterable<[string, PersistedImage]>;
  putDownloads?: Iterable<[string, DownloadRecord]>;
  deleteDownloads?: string[];
  /** status of objects (Workloads), keyed `Kind/name` */
  putStatuses?: Iterable<[string, unknown]>;
  deleteStatuses?: string[];
  /** transitions and API-call records */
  audit?: LogRecord[];
  /** the last engine event whose uses this commit records (controller/reconcile/uses.ts) */
  eventCursor?: EventCursor;
}

/** The last engine event the agent recorded: where the replay of the engine's events starts. */
export interface EventCursor {
  /** the event's `timeNano`, as a decimal string */
  timeNano: string;
  /** what identifies that event in a replay, or null when none was seen since the stream opened at `timeNano` */
  key: string | null;
  /** the engine went away while the agent listened, with every event up to then recorded */
  engineGone?: boolean;
}

type Db = Level<string, unknown>;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Sub = import('abstract-level').AbstractSublevel<any, any, string, unknown>;
type Op = { type: 'put' | 'del'; sublevel: Sub; key: string; value?: unknown };

export class Store extends EventEmitter {
  private readonly keys = new AuditKeys();
  /** batches land in the order their audit keys were given (LevelDB may reorder concurrent writes) */
  private writing: Promise<unknown> = Promise.resolve();
  readonly writes = { batches: 0, ops: 0 };
  private constructor(
    readonly dir: string,
    private readonly db: Db,
    private readonly meta: Sub,
    private readonly objects: Sub,
    private readonly images: Sub,
    private readonly downloads: Sub,
    private readonly statuses: Sub,
    private readonly audit: Sub,
    private readonly auditByImage: Sub,
  ) {
    super();
    this.setMaxListeners(0);
  }

  static async open(dir: string): Promise<Store> {
    securePrivate(dir);
    const db: Db = new Level<string, unknown>(dir, { valueEncoding: 'json' });
    // LevelDB rewrites its write-ahead logs at open: keep a copy until the open proved them sound,
    // so that a damaged one can still be read by `agent --repair`
    const walCopy = copyLogs(dir, join(dir, `.wal-at-open-${process.pid}`));
    try {
      await db.open();
    } catch (err) {
      if (walCopy) rmSync(walCopy, { recursive: true, force: true });
      const e = err as { code?: string; cause?: { code?: string } };
      if (e.cause?.code === 'LEVEL_LOCKED' || e.code === 'LEVEL_LOCKED') throw new StoreLockedError(dir);
      const detail = (e.cause as Error | undefined)?.message ?? (err as Error).message;
      if (e.cause?.code === 'LEVEL_CORRUPTION' || /corrupt/i.test(detail)) throw new StoreDamagedError(dir, detail);
      throw new Error(`cannot open the store in ${dir}: ${detail}`);
    }
    // LevelDB recovers a damaged write-ahead log by dropping records silently; its info LOG (new at
    // every open) says so. Such a store lost state without an error: it is refused too.
    const dropped = recoveryDrops(dir);
    if (walCopy && dropped) renameSync(walCopy, join(dir, `damaged-wal-${new Date().toISOString().replace(/[:.]/g, '-')}`));
    else if (walCopy) rmSync(walCopy, { recursive: true, force: true });
    if (dropped) {
      await db.close();
      throw new StoreDamagedError(dir, `LevelDB dropped records while recovering its log: ${dropped}`);
    }
    const sub = (name: string): Sub => db.sublevel<string, unknown>(name, { valueEncoding: 'json' }) as Sub;
    const store = new Store(dir, db, sub('meta'), sub('objects'), sub('images'), sub('downloads'), sub('statuses'), sub('audit'), sub('audit-by-image'));
    try {
      await store.checkSchema();
      store.keys.resume(await store.lastAuditKey());
    } catch (err) {
      if (db.status === 'open') await db.close();
      if (err instanceof Error && /newer than this agent/.test(err.message)) throw err;
      throw new StoreDamagedError(dir, `cannot read the schema version: ${(err as Error).message}`);
    }
    return store;
  }

  /**
   * A store inside one sublevel of a LevelDB opened by the caller: many agents in one process, each
   * with its own store (the benchmarks' hollow agents). The product's agent uses `open`.
   */
  static async within(parent: Db, name: string): Promise<Store> {
    const db = parent.sublevel<string, unknown>(name, { valueEncoding: 'json' }) as unknown as Db;
    const sub = (n: string): Sub => db.sublevel<string, unknown>(n, { valueEncoding: 'json' }) as Sub;
    const store = new Store(`${parent.location}#${name}`, db, sub('meta'), sub('objects'), sub('images'), sub('downloads'), sub('statuses'), sub('audit'), sub('audit-by-image'));
    await store.checkSchema();
    store.keys.resume(await store.lastAuditKey());
    return store;
  }

  /**
   * Read every entry of every sublevel once (values decoded), so that a store whose files are
   * damaged is refused at start instead of being half-read. Returns the entry counts.
   */
  async verify(): Promise<Record<string, number>> {
    const counts: Record<string, number> = {};
    const subs = [this.meta, this.objects, this.images, this.downloads, this.statuses, this.audit, this.auditByImage];
    for (const [i, s] of subs.entries()) {
      const name = SUBLEVELS[i]!;
      let n = 0;
      try {
        for await (const [, v] of s.iterator()) {
          if (v === null || typeof v !== 'object' && name !== 'meta') throw new Error(`an entry is not an object`);
          n++;
        }
      } catch (err) {
        throw new StoreDamagedError(this.dir, `sublevel ${name} is unreadable after ${n} entries: ${(err as Error).message}`);
      }
      counts[name] = n;
    }
    return counts;
  }

  private lastAuditKey = async (): Promise<string | undefined> => (await this.audit.keys({ reverse: true, limit: 1 }).all())[0];

  /** The time of the newest audit record (ms), or null: the clock never starts behind it (a key's time is the newest so far). */
  async latestTime(): Promise<number | null> {
    const key = await this.lastAuditKey();
    return key === undefined ? null : Number(key.slice(0, 15));
  }

  /** The clock anchor of the last agent start (lib/clock.ts), or null. */
  async clockAnchor(): Promise<{ at: number; mono: number; bootId: string } | null> {
    return ((await this.meta.get('clockAnchor')) as { at: number; mono: number; bootId: string } | undefined) ?? null;
  }

  async putClockAnchor(a: { at: number; mono: number; bootId: string }): Promise<void> {
    await this.meta.put('clockAnchor', a);
  }

  async eventCursor(): Promise<EventCursor | null> {
    return ((await this.meta.get('eventCursor')) as EventCursor | undefined) ?? null;
  }

  /** Write one small record: does the store take writes again? Throws when it does not. */
  async probeWrite(now: number): Promise<void> {
    await this.meta.put('lastWriteProbe', now);
  }

  private async checkSchema(): Promise<void> {
    const v = (await this.meta.get('schemaVersion')) as number | undefined;
    if (v === undefined) await this.meta.put('schemaVersion', SCHEMA_VERSION);
    else if (v > SCHEMA_VERSION) {
      await this.db.close();
      throw new Error(`the store in ${this.dir} has schema version ${v}, newer than this agent's ${SCHEMA_VERSION}; upgrade imagectl`);
    }
  }

  async close(): Promise<void> {
    await this.db.close();
  }

  async schemaVersion(): Promise<number> {
    return (await this.meta.get('schemaVersion')) as number;
  }

  /** The applied objects, of one kind or of all. */
  async listObjects<K extends KindName = KindName>(kind?: K): Promise<StoredOf<K>[]> {
    const opts = kind ? { gte: `${kind}/`, lt: `${kind}/\xff` } : {};
    // the store's own JSON: only commit writes objects, and only validated ones
    const all = (await this.objects.values(opts).all()) as StoredObject[];
    return all.filter((o): o is StoredOf<K> => kind === undefined || isKind(o, kind));
  }

  async getObject<K extends KindName>(kind: K, name: string): Promise<StoredOf<K> | undefined> {
    const o = (await this.objects.get(`${kind}/${name}`)) as StoredObject | undefined;
    return o && isKind(o, kind) ? o : undefined;
  }

  async loadImages(): Promise<Map<string, PersistedImage>> {
    const m = new Map<string, PersistedImage>();
    for await (const [k, v] of this.images.iterator()) m.set(k, v as PersistedImage);
    return m;
  }

  async loadDownloads(): Promise<Map<string, DownloadRecord>> {
    const m = new Map<string, DownloadRecord>();
    for await (const [k, v] of this.downloads.iterator()) m.set(k, v as DownloadRecord);
    return m;
  }

  async loadStatuses<T>(): Promise<Map<string, T>> {
    const m = new Map<string, T>();
    for await (const [k, v] of this.statuses.iterator()) m.set(k, v as T);
    return m;
  }

  /** Write everything of one pass or one API call in one atomic batch. */
  async commit(c: Commit): Promise<void> {
    const ops: Op[] = [];
    for (const o of c.putObjects ?? []) ops.push({ type: 'put', sublevel: this.objects, key: `${o.kind}/${o.metadata.name}`, value: o });
    for (const o of c.deleteObjects ?? []) ops.push({ type: 'del', sublevel: this.objects, key: `${o.kind}/${o.name}` });
    for (const [id, p] of c.putImages ?? []) ops.push({ type: 'put', sublevel: this.images, key: id, value: p });
    for (const [id, d] of c.putDownloads ?? []) ops.push({ type: 'put', sublevel: this.downloads, key: id, value: d });
    for (const id of c.deleteDownloads ?? []) ops.push({ type: 'del', sublevel: this.downloads, key: id });
    for (const [k, v] of c.putStatuses ?? []) ops.push({ type: 'put', sublevel: this.statuses, key: k, value: v });
    for (const k of c.deleteStatuses ?? []) ops.push({ type: 'del', sublevel: this.statuses, key: k });
    if (c.eventCursor) ops.push({ type: 'put', sublevel: this.meta, key: 'eventCursor', value: c.eventCursor });
    const audit = this.keys.assign(c.audit ?? []);
    for (const [key, r] of audit) {
      ops.push({ type: 'put', sublevel: this.audit, key, value: r });
      // API-call records without an image are only in the log; the index is per image
      if (r.image) ops.push({ type: 'put', sublevel: this.auditByImage, key: `${r.image}!${key}`, value: r });
    }
    if (ops.length === 0) return;
    const written = this.writing.then(() => this.db.batch(ops as never));
    this.writing = written.catch(() => undefined);
    await written;
    this.writes.batches++;
    this.writes.ops += ops.length;
    for (const [key, r] of audit) this.emit('audit', r, key);
    // the change feed (`get -w`) and the metrics read what a commit wrote; a reader that throws
    // does not make a written commit look failed (that would be taken for a store refusing writes)
    for (const read of this.listeners('commit') as ((c: Commit) => void)[]) {
      try {
        read(c);
      } catch {
        // each reader guards itself; this is the last line
      }
    }
  }

  /** The audit log from `since` on, in the order written (audit-keys.ts), streamed: transitions, and with `apiCalls` also API-call records. */
  auditLog(opts?: { since?: number; limit?: number; apiCalls?: false }): AsyncGenerator<AuditRecord>;
  auditLog(opts: { since?: number; limit?: number; apiCalls: true }): AsyncGenerator<LogRecord>;
  async *auditLog(opts: { since?: number; limit?: number; apiCalls?: boolean } = {}): AsyncGenerator<LogRecord> {
    let n = 0;
    for await (const [, v] of this.auditEntries(opts)) {
      if (!opts.apiCalls && v.event.startsWith('api.')) continue;
      yield v;
      if (opts.limit !== undefined && ++n >= opts.limit) return;
    }
  }

  /** The log's records whose own time is `since` or later (one image's through the index), in write order, with their keys. */
  async *auditEntries(opts: { since?: number; image?: string } = {}): AsyncGenerator<[string, LogRecord]> {
    const from = opts.since !== undefined ? sinceKey(opts.since) : '';
    const it = opts.image === undefined ? this.audit.iterator({ gte: from }) : this.auditByImage.iterator({ gte: `${opts.image}!${from}`, lt: `${opts.image}!\xff` });
    const cut = opts.image === undefined ? 0 : opts.image.length + 1;
    for await (const [k, v] of it) if (fromSince(v as LogRecord, opts.since)) yield [k.slice(cut), v as LogRecord];
  }

  /** Audit records after the key `after` (all with null), in the order written, with their keys: the fleet's outbox reads from its cursor. */
  async auditAfter(after: string | null, limit: number): Promise<[string, LogRecord][]> {
    return (await this.audit.iterator({ ...(after === null ? {} : { gt: after }), limit }).all()) as [string, LogRecord][];
  }

  /** A small record of the agent's own (the fleet's applied revision and audit cursor), or undefined. */
  async getMeta<T>(key: string): Promise<T | undefined> {
    return (await this.meta.get(key)) as T | undefined;
  }

  async putMeta(key: string, value: unknown): Promise<void> {
    await this.meta.put(key, value);
  }

  /** One image's history (transitions and API calls on it) through the index, read at once (B7: a generator costs 3× as much). */
  async auditForImage(id: string, opts: { since?: number } = {}): Promise<AuditRecord[]> {
    const from = opts.since !== undefined ? sinceKey(opts.since) : '';
    const all = (await this.auditByImage.values({ gte: `${id}!${from}`, lt: `${id}!\xff` }).all()) as AuditRecord[];
    return opts.since === undefined ? all : all.filter((r) => fromSince(r, opts.since));
  }
}
