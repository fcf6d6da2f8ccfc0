/**
 * The device's audit records to the stream `IMAGECTL_AUDIT` (subject `imagectl.audit.<node>`), in
 * order, each with a message ID made from its key in the device's own log, so that a record sent
 * twice (the ack lost, the hub away) is stored once. The outbox is the log itself plus a cursor in
 * the store: the key of the last record the stream acknowledged. Records made while the hub was
 * away are sent when it is back, from the cursor on: none lost, none doubled.
 */
import type { JetStreamClient } from '@nats-io/jetstream';
import { auditSubject } from '../../crd/fleet/names.js';
import type { Store } from '../store/store.js';

const CURSOR_META = 'fleetAuditCursor';
const RETRY_MS = 2_000;

export interface AuditOutboxOptions {
  node: string;
  store: Store;
  log: { warn(obj: object, msg?: string): void };
  /** records in flight at once (their acks are awaited together; the cursor moves past the acked prefix) */
  batch?: number;
}

export class AuditOutbox {
  private js: JetStreamClient | null = null;
  private running: Promise<void> | null = null;
  private again = false;
  private stopped = false;
  private retry: NodeJS.Timeout | null = null;
  /** records the stream acknowledged in this run, and how many it had already (duplicates) */
  readonly sent = { records: 0, duplicates: 0, bytes: 0 };

  constructor(private readonly o: AuditOutboxOptions) {}

  attach(js: JetStreamClient): void {
    this.js = js;
    this.kick();
  }

  stop(): void {
    this.stopped = true;
    if (this.retry) clearTimeout(this.retry);
  }

  /** New records, or the hub is back: send what is unsent. */
  kick(): void {
    if (!this.js || this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = (async () => {
      try {
        do {
          this.again = false;
          await this.drain();
        } while (this.again && !this.stopped);
      } catch (err) {
        this.o.log.warn({ error: (err as Error).message }, 'fleet: audit records not sent yet (the hub is away?); they are kept and sent later');
        this.retry ??= setTimeout(() => {
          this.retry = null;
          this.kick();
        }, RETRY_MS);
      } finally {
        this.running = null;
      }
    })();
  }

  /** Whether every record of the log has been acknowledged. */
  async pending(): Promise<number> {
    const cursor = (await this.o.store.getMeta<string>(CURSOR_META)) ?? null;
    return (await this.o.store.auditAfter(cursor, 10_000)).length;
  }

  private async drain(): Promise<void> {
    const js = this.js!;
    const subject = auditSubject(this.o.node);
    for (;;) {
      if (this.stopped) return;
      const cursor = (await this.o.store.getMeta<string>(CURSOR_META)) ?? null;
      const batch = await this.o.store.auditAfter(cursor, this.o.batch ?? 64);
      if (batch.length === 0) return;
      const acks = await Promise.allSettled(batch.map(([key, r]) => {
        const payload = JSON.stringify({ ...r, node: this.o.node });
        this.sent.bytes += payload.length;
        return js.publish(subject, payload, { msgID: `${this.o.node}.${key}`, timeout: 5_000 });
      }));
      let last: string | null = null;
      for (const [i, a] of acks.entries()) {
        if (a.status === 'rejected') break;
        last = batch[i]![0];
        this.sent.records++;
        if (a.value.duplicate) this.sent.duplicates++;
      }
      if (last !== null) await this.o.store.putMeta(CURSOR_META, last);
      const failed = acks.find((a) => a.status === 'rejected');
      if (failed) throw (failed as PromiseRejectedResult).reason;
    }
  }
}
