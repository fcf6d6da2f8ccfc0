/**
 * Server-sent events to the open pages: each page gets the whole picture when it connects
 * (`snapshot`), then batches of what changed (`changes`), at most one batch every FLUSH_MS for
 * all pages together (a rollout to 1000 devices is a few dozen batches, not 1000 messages). A page
 * that does not read its stream (a laptop gone to sleep) is dropped once too much waits for it;
 * its EventSource connects again and gets a fresh snapshot.
 */
import type { ServerResponse } from 'node:http';
import type { FleetModel } from './model.js';
import type { EventName } from './wire.js';

/**
 * One batch per 100 ms at most: each batch the page applies costs a layout of its table, whatever
 * it holds (at 1000 rows that is most of the frame), so fewer, fuller batches keep a rollout's
 * updates within a second where one per 50 ms left the page behind on a busy machine.
 */
export const FLUSH_MS = 100;
const KEEPALIVE_MS = 20_000;
/** bytes queued for one page before it is dropped */
const MAX_BACKLOG = 8 << 20;

export class SseHub {
  private readonly clients = new Set<ServerResponse>();
  private timer: NodeJS.Timeout | null = null;
  private readonly keepalive: NodeJS.Timeout;
  /** events sent, and pages dropped for not reading (for the log and the bench) */
  readonly sent = { batches: 0, dropped: 0 };

  constructor(private readonly model: FleetModel, private readonly now: () => number = Date.now) {
    this.keepalive = setInterval(() => this.broadcast(': keepalive\n\n'), KEEPALIVE_MS);
    this.keepalive.unref();
  }

  get pages(): number {
    return this.clients.size;
  }

  /** Take a page's request: the stream's headers, then its snapshot. */
  open(res: ServerResponse, headers: Record<string, string>): void {
    res.writeHead(200, { ...headers, 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', 'x-accel-buffering': 'no' });
    res.socket?.setNoDelay(true);
    // the model's queued changes go to the pages already open; this one has them in its snapshot
    this.flush();
    this.clients.add(res);
    res.on('close', () => this.clients.delete(res));
    res.write(`retry: 2000\n${frame('snapshot', JSON.stringify(this.model.snapshot(this.now())))}`);
  }

  /** Something changed: send it with the next batch. */
  changed(): void {
    this.timer ??= setTimeout(() => this.flush(), FLUSH_MS);
  }

  /** Send the queued changes now. */
  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const c = this.model.takeChanges();
    if (!c) return;
    this.sent.batches++;
    this.broadcast(frame('changes', JSON.stringify(c)));
  }

  close(): void {
    if (this.timer) clearTimeout(this.timer);
    clearInterval(this.keepalive);
    for (const res of this.clients) res.end();
    this.clients.clear();
  }

  private broadcast(text: string): void {
    for (const res of this.clients) {
      if (res.writableLength > MAX_BACKLOG) {
        this.sent.dropped++;
        res.destroy();
        this.clients.delete(res);
        continue;
      }
      res.write(text);
    }
  }
}

function frame(event: EventName, data: string): string {
  return `event: ${event}\ndata: ${data}\n\n`;
}
