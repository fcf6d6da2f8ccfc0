/**
 * The agent's one LevelDB store: applied manifests, image machine snapshots, agent downloads and an
 * append-only audit log indexed by image. Only the agent opens it (one instance per process: a failed
 * second open in the same process would release the LevelDB lock). Every pass commits in one atomic
 * batch.
 */
import { EventEmitter } from 'node:events';
import { Level } from 'level';
import type { AuditRecord } from '../lib/audit.js';
import type { PersistedImage } from '../statemachines/runtime.js';
import type { DownloadRecord } from '../controller/plan.js';

export const SCHEMA_VERSION = 1;

/** An applied manifest as the agent keeps it. */
export interface StoredObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    uid: string;
    generation: number;
    creationTimestamp: string;
  };
  spec: unknown;
}

export class StoreLockedError extends Error {
  constructor(dir: string) {
    super(`the state directory ${dir} is in use by another imagectl agent (LevelDB lock held)`);
  }
}

export interface Commit {
  putObjects?: StoredObject[];
  deleteObjects?: { kind: string; name: string }[];
  putImages?: Iterable<[string, PersistedImage]>;
  putDownloads?: Iterable<[string, DownloadRecord]>;
  deleteDownloads?: string[];
  /** status of objects (Workloads), keyed `Kind/name` */
  putStatuses?: Iterable<[string, unknown]>;
  deleteStatuses?: string[];
  audit?: AuditRecord[];
}

type Db = Level<string, unknown>;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Sub = import('abstract-level').AbstractSublevel<any, any, string, unknown>;
type Op = { type: 'put' | 'del'; sublevel: Sub; key: string; value?: unknown };

const pad = (n: number, w: number) => String(n).padStart(w, '0');
/** audit keys sort by time, then by a per-process sequence that breaks ties */
const auditKey = (time: string, seq: number) => `${pad(Date.parse(time), 15)}.${pad(seq, 10)}`;

export class Store extends EventEmitter {
  private seq = 0;
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
    const db: Db = new Level<string, unknown>(dir, { valueEncoding: 'json' });
    try {
      await db.open();
    } catch (err) {
      const e = err as { code?: string; cause?: { code?: string } };
      if (e.cause?.code === 'LEVEL_LOCKED' || e.code === 'LEVEL_LOCKED') throw new StoreLockedError(dir);
      throw new Error(`cannot open the store in ${dir}: ${(e.cause as Error | undefined)?.message ?? (err as Error).message}`);
    }
    const sub = (name: string): Sub => db.sublevel<string, unknown>(name, { valueEncoding: 'json' }) as Sub;
    const store = new Store(dir, db, sub('meta'), sub('objects'), sub('images'), sub('downloads'), sub('statuses'), sub('audit'), sub('audit-by-image'));
    await store.checkSchema();
    return store;
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

  async listObjects(kind?: string): Promise<StoredObject[]> {
    const opts = kind ? { gte: `${kind}/`, lt: `${kind}/\xff` } : {};
    return (await this.objects.values(opts).all()) as StoredObject[];
  }

  async getObject(kind: string, name: string): Promise<StoredObject | undefined> {
    return (await this.objects.get(`${kind}/${name}`)) as StoredObject | undefined;
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
    const audit = c.audit ?? [];
    for (const r of audit) {
      const key = auditKey(r.time, ++this.seq);
      ops.push({ type: 'put', sublevel: this.audit, key, value: r });
      ops.push({ type: 'put', sublevel: this.auditByImage, key: `${r.image}!${key}`, value: r });
    }
    if (ops.length === 0) return;
    await this.db.batch(ops as never);
    this.writes.batches++;
    this.writes.ops += ops.length;
    for (const r of audit) this.emit('audit', r);
  }

  /** The audit log from `since` on, oldest first, streamed. */
  async *auditLog(opts: { since?: number; limit?: number } = {}): AsyncGenerator<AuditRecord> {
    const range = opts.since !== undefined ? { gte: `${pad(Math.max(0, opts.since), 15)}.` } : {};
    let n = 0;
    for await (const v of this.audit.values(range)) {
      yield v as AuditRecord;
      if (opts.limit !== undefined && ++n >= opts.limit) return;
    }
  }

  /** One image's history through the index, without scanning the log. */
  async auditForImage(id: string, opts: { since?: number } = {}): Promise<AuditRecord[]> {
    const gte = opts.since !== undefined ? `${id}!${pad(Math.max(0, opts.since), 15)}.` : `${id}!`;
    return (await this.auditByImage.values({ gte, lt: `${id}!\xff` }).all()) as AuditRecord[];
  }
}
