/**
 * Backpressure for every route that streams (audit --follow, the change feed, pull progress). A
 * streamed answer has two kinds of output:
 *
 * - history (what is already there: the audit log, the current objects) goes out at the reader's
 *   pace: `await s.paced(line)` waits for the socket to drain, so nothing is held for it;
 * - live output (what happens while the reader follows) cannot wait, or one slow reader would hold
 *   up everyone: `s.live(line)` writes at once, and a follower whose unread output passes
 *   `maxPendingBytes` is dropped (its connection closed; it can follow again), so memory stays
 *   bounded however many followers stop reading. Progress is lossy instead: `s.progress(line)`
 *   skips a line while the reader is behind, and `s.end(line)` always gets the last one out.
 *
 * How a route uses it:
 *
 *     const s = new Stream(res);                  // after res.writeHead(200, …)
 *     for await (const r of history) if (!(await s.paced(ndjson(r)))) return;
 *     const onRecord = (r) => s.live(ndjson(r));  // false once dropped
 *     store.on('audit', onRecord);
 *     await s.closed;                             // the reader went away, or was dropped
 *     store.off('audit', onRecord);
 *
 * `streamStats()` counts open and dropped streams (health reports it).
 */
import type { ServerResponse } from 'node:http';

/** Unread bytes a live follower may hold; past this it is dropped. */
export const MAX_PENDING_BYTES = 1024 * 1024;
/** A progress line is skipped while this much is unread. */
export const PROGRESS_PENDING_BYTES = 64 * 1024;

const stats = { open: 0, dropped: 0 };

/** Streams open now, and followers dropped since the agent started. */
export function streamStats(): { open: number; dropped: number } {
  return { ...stats };
}

/** Resolves when the response can take more data, or is gone. */
export function drained(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    if (res.destroyed || !res.writableNeedDrain) resolve();
    else {
      res.on('drain', done);
      res.on('close', done);
    }
  });
}

const lines = new WeakMap<object, string>();
/** One JSON line per object, made once however many streams send it. */
export function ndjson(v: object): string {
  let l = lines.get(v);
  if (l === undefined) {
    l = `${JSON.stringify(v)}\n`;
    lines.set(v, l);
  }
  return l;
}

export class Stream {
  /** resolves when the reader is gone (closed the connection, or was dropped) */
  readonly closed: Promise<void>;
  private dropped = false;

  constructor(private readonly res: ServerResponse, private readonly maxPendingBytes = MAX_PENDING_BYTES) {
    stats.open++;
    this.closed = new Promise((resolve) => res.once('close', () => {
      stats.open--;
      resolve();
    }));
  }

  get gone(): boolean {
    return this.res.destroyed || this.dropped;
  }

  /** History: write and wait until the socket takes more; false once the reader is gone. */
  async paced(line: string): Promise<boolean> {
    if (this.gone) return false;
    if (!this.res.write(line)) await drained(this.res);
    return !this.gone;
  }

  /** Live output: written at once; a reader that lets too much pile up is dropped. False once dropped. */
  live(line: string): boolean {
    if (this.gone) return false;
    if (this.res.writableLength + line.length > this.maxPendingBytes) {
      this.drop();
      return false;
    }
    this.res.write(line);
    return true;
  }

  /** Progress: skipped while the reader is behind (the next line says more anyway). */
  progress(line: string): void {
    if (!this.gone && this.res.writableLength < PROGRESS_PENDING_BYTES) this.res.write(line);
  }

  /** The last line (a result), always written, then the end. */
  end(line?: string): void {
    if (this.res.destroyed) return;
    this.res.end(line);
  }

  /** Close the connection under a reader that does not keep up. */
  drop(): void {
    if (this.dropped) return;
    this.dropped = true;
    stats.dropped++;
    this.res.destroy();
  }
}
