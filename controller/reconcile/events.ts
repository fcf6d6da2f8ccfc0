/**
 * The engine's event stream, followed for as long as the agent runs and reconnected with backoff
 * when it ends. Every event goes to the use log (uses.ts) and triggers a pass. At each connect the
 * history since the cursor is replayed (history.ts) before `history()` says the agent may decide.
 */
import type { IncomingMessage } from 'node:http';
import { LineSplitter } from '../../crd/api/lines.js';
import type { EngineClient } from '../engine/client.js';
import { errorText } from '../engine/docker.js';
import { EVENT_FILTERS, replayEvents, replayVerdict } from './history.js';
import type { Logger } from './options.js';
import { msToNano, nanoToMs, parseEvent, type UseLog } from './uses.js';

const RETRY_MIN_MS = 500;
const RETRY_MAX_MS = 10_000;
/** how long a pass waits for the stream to connect and the history to be replayed */
const HISTORY_WAIT_MS = 15_000;

/**
 * Where the replay ends, on the engine's clock: just after the stream above began, so that the two
 * overlap and nothing falls between them. The engine's Date header has whole seconds: when it agrees
 * with the agent's clock (an engine beside the agent), the agent's own time is the sharper one;
 * otherwise the replay runs up to a second past the header, and waits for it.
 */
function replayEnd(stream: IncomingMessage): number {
  const now = Date.now();
  const engine = Date.parse(stream.headers?.date ?? '');
  if (Number.isNaN(engine)) return now + 100;
  return Math.abs(now - engine) < 1_000 ? Math.max(now, engine) + 100 : engine + 1_000;
}

export interface EngineEventsOptions {
  docker: EngineClient;
  uses: UseLog;
  log: Logger;
  /** `n` events arrived */
  onEvents(n: number): void;
  /** the stream could not be opened */
  onLost(err: unknown): void;
  /** a full pass: the stream (re)connected, or ended (events may have been missed) */
  resync(): void;
  /** with no cursor yet: the agent tracked images before it kept one (a store from before), since then (ms) */
  untrackedSince(): number | null;
  /** the stream ended and the engine does not answer: it went away while the agent listened */
  onEngineGone(): void;
}

export class EngineEvents {
  private stream: IncomingMessage | null = null;
  private backoff = RETRY_MIN_MS;
  private stopped = false;
  private atStart = true;
  private connecting = false;
  private retryTimer: NodeJS.Timeout | null = null;
  private ready: Promise<boolean> = Promise.resolve(false);
  /** a stream was connected since the last failed connect */
  private wasConnected = false;

  constructor(private readonly o: EngineEventsOptions) {}

  start(): void {
    if (this.stopped) return;
    this.connecting = true;
    this.ready = this.connect().finally(() => (this.connecting = false));
  }

  stop(): void {
    this.stopped = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.stream?.destroy();
  }

  /**
   * True once the stream is connected and the history since the cursor is taken; false while it is
   * not (a pass that found the engine answering then asks for a connect now rather than at the
   * backoff's next try).
   */
  history(): Promise<boolean> {
    if (!this.stream && !this.connecting && !this.stopped) {
      if (this.retryTimer) clearTimeout(this.retryTimer);
      this.retryTimer = null;
      this.start();
    }
    // a connect that hangs (a proxy that holds the stream's headers back) must not hold the loop
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), HISTORY_WAIT_MS)));
    return Promise.race([this.ready, late]).finally(() => clearTimeout(timer));
  }

  private async connect(): Promise<boolean> {
    let stream: IncomingMessage;
    try {
      stream = await this.o.docker.getEvents({ filters: EVENT_FILTERS });
    } catch (err) {
      this.o.onLost(err);
      if (this.wasConnected) this.o.onEngineGone();
      this.wasConnected = false;
      this.reconnect();
      return false;
    }
    if (this.stopped) {
      stream.destroy();
      return false;
    }
    this.follow(stream);
    await this.catchUp(replayEnd(stream));
    // events that happened while the stream was down
    this.o.resync();
    return this.stream === stream;
  }

  /** Replay what happened since the cursor; a history that cannot be had becomes a gap. */
  private async catchUp(untilMs: number): Promise<void> {
    const atStart = this.atStart;
    this.atStart = false;
    const until = msToNano(untilMs);
    const cursor = this.o.uses.current();
    let replayed;
    try {
      replayed = await replayEvents(this.o.docker, cursor?.timeNano ?? '0', until);
    } catch (err) {
      replayed = errorText(err);
    }
    if (typeof replayed !== 'string') for (const e of replayed) void this.o.uses.take(e);
    await this.o.uses.settled();
    this.o.uses.begin(until);
    const since = cursor ? nanoToMs(cursor.timeNano) : this.o.untrackedSince();
    if (since === null) return;
    const verdict = typeof replayed === 'string' ? { complete: false as const, why: `the replay failed: ${replayed}` } : cursor ? replayVerdict(cursor, replayed, atStart) : { complete: false as const, why: 'the store has no record of the engine\'s events yet' };
    if (verdict.complete) return;
    const end = typeof replayed !== 'string' && replayed[0] ? nanoToMs(replayed[0].timeNano) : untilMs;
    this.o.uses.noteGap({ since, until: end });
    this.o.log.warn({ since: new Date(since).toISOString(), until: new Date(end).toISOString(), why: verdict.why }, 'the engine\'s events since the agent last listened cannot be had: every image counts as used at the end of that window');
  }

  private reconnect(): void {
    if (this.stopped) return;
    this.stream = null;
    const delay = this.backoff;
    this.backoff = Math.min(this.backoff * 2, RETRY_MAX_MS);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.start();
    }, delay);
    this.retryTimer.unref();
    this.o.resync();
  }

  private follow(stream: IncomingMessage): void {
    this.stream = stream;
    this.backoff = RETRY_MIN_MS;
    this.wasConnected = true;
    const lines = new LineSplitter();
    stream.on('data', (chunk: Buffer | string) => {
      // one JSON object per line; a chunk may carry several, or part of one
      let n = 0;
      for (const line of lines.push(chunk)) {
        const e = parseEvent(line);
        if (!e) continue;
        n++;
        void this.o.uses.take(e);
      }
      if (n > 0) this.o.onEvents(n);
    });
    let done = false;
    const end = () => {
      if (done) return;
      done = true;
      if (this.stream === stream) this.ready = Promise.resolve(false);
      this.reconnect();
    };
    stream.on('end', end);
    stream.on('close', end);
    stream.on('error', end);
  }
}
