/** The engine's event stream, followed for as long as the agent runs; reconnected with backoff when it ends. */
import type { IncomingMessage } from 'node:http';
import type { EngineClient } from '../engine/client.js';

const RETRY_MIN_MS = 500;
const RETRY_MAX_MS = 10_000;

export interface EngineEventsOptions {
  docker: EngineClient;
  /** `n` events arrived */
  onEvents(n: number): void;
  /** the stream could not be opened */
  onLost(err: unknown): void;
  /** a full pass: the stream (re)connected, or ended (events may have been missed) */
  resync(): void;
}

export class EngineEvents {
  private stream: IncomingMessage | null = null;
  private backoff = RETRY_MIN_MS;
  private stopped = false;

  constructor(private readonly o: EngineEventsOptions) {}

  start(): void {
    if (this.stopped) return;
    this.o.docker.getEvents({ filters: JSON.stringify({ type: ['container', 'image'] }) }).then(
      (stream) => this.follow(stream),
      (err: Error) => {
        this.o.onLost(err);
        this.reconnect();
      },
    );
  }

  stop(): void {
    this.stopped = true;
    this.stream?.destroy();
  }

  private reconnect(): void {
    if (this.stopped) return;
    this.stream = null;
    const delay = this.backoff;
    this.backoff = Math.min(this.backoff * 2, RETRY_MAX_MS);
    setTimeout(() => this.start(), delay).unref();
    this.o.resync();
  }

  private follow(stream: IncomingMessage): void {
    if (this.stopped) {
      stream.destroy();
      return;
    }
    this.stream = stream;
    this.backoff = RETRY_MIN_MS;
    stream.on('data', (chunk: Buffer | string) => {
      // one JSON object per line; a chunk may carry several
      let n = 0;
      for (let i = chunk.indexOf('\n'); i >= 0; i = chunk.indexOf('\n', i + 1)) n++;
      this.o.onEvents(n);
    });
    let done = false;
    const end = () => {
      if (done) return;
      done = true;
      this.reconnect();
    };
    stream.on('end', end);
    stream.on('close', end);
    stream.on('error', end);
    // events that happened while the stream was down
    this.o.resync();
  }
}
