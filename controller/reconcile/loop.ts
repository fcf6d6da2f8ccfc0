/**
 * The reconcile loop, as controller-runtime shapes it: the loop owns the triggers and the timing,
 * and one pass (`reconcile`) re-reads what it needs and says when to run again. The loop runs one
 * pass at a time, and a trigger during a pass runs one more pass after it (never two more). Triggers:
 * - `run(reason)`: now (apply, rmi, pull, start);
 * - `soon(reason)`: debounced (engine events, file changes; see `DebounceOptions`);
 * - the pass's `requeueAfter` (the due timer), and a retry with exponential backoff when a pass fails;
 * - a periodic resync.
 * The agent's reconciler and the `--manifests` watch are both one of these.
 */

/** One at a time: jobs run in the order they were queued, never two at once. */
export class Serial {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.tail.then(fn, fn);
    this.tail = next.catch(() => undefined);
    return next;
  }
}

export interface PassResult {
  /** run again this many ms from now (a removal falls due then), or null: only when triggered */
  requeueAfter: number | null;
}

/** A pass that failed. `requeueAfter` as in PassResult; undefined keeps the timer already set. */
export class PassError extends Error {
  constructor(message: string, readonly requeueAfter?: number | null) {
    super(message);
  }
}

export interface DebounceOptions {
  /** the first trigger after a quiet spell runs a pass this much later, ms */
  settleMs: number;
  /** after a pass that `soon` caused, the next one waits until this much time has passed, ms */
  gapMs?: number;
  /** every trigger starts the wait again (run once things are quiet), instead of rate limiting */
  restart?: boolean;
}

export interface LoopOptions {
  reconcile(reason: string): Promise<PassResult | void>;
  debounce: DebounceOptions;
  /** periodic resync, ms (none when absent) */
  resyncMs?: number;
  /** called before each periodic resync */
  beforeResync?: () => void;
  retryMinMs?: number;
  retryMaxMs?: number;
}

/** How passes ran: `maxConcurrent` must stay 1. */
export interface LoopStats {
  running: number;
  maxConcurrent: number;
  /** triggers that found a pass running and were folded into one more pass */
  coalesced: number;
}

const MAX_TIMER_MS = 2 ** 31 - 1;

export class Loop {
  readonly stats: LoopStats = { running: 0, maxConcurrent: 0, coalesced: 0 };
  private readonly queue = new Serial();
  /** the pass queued behind the running one, not started yet: triggers join it */
  private pending: Promise<void> | null = null;
  private passing = false;
  private stopped = false;
  private debounceTimer: NodeJS.Timeout | null = null;
  /** a pass that `soon` caused runs; `again`: triggers came meanwhile */
  private soonPass: 'idle' | 'running' | 'again' = 'idle';
  private lastSoonEnd = -Infinity;
  private dueTimer: NodeJS.Timeout | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
  private resyncTimer: NodeJS.Timeout | null = null;
  private backoff: number;

  constructor(private readonly o: LoopOptions) {
    this.backoff = o.retryMinMs ?? 500;
  }

  /** Start the periodic resync. */
  start(): void {
    if (this.o.resyncMs === undefined || this.resyncTimer) return;
    this.resyncTimer = setInterval(() => {
      this.o.beforeResync?.();
      void this.run('resync');
    }, this.o.resyncMs);
    this.resyncTimer.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of [this.debounceTimer, this.dueTimer, this.retryTimer]) if (t) clearTimeout(t);
    if (this.resyncTimer) clearInterval(this.resyncTimer);
    await this.queue.run(async () => undefined);
  }

  /** Run a pass now, or once more right after the running one. Resolves when that pass has ended. */
  run(reason: string): Promise<void> {
    if (this.pending) return this.pending;
    if (this.passing) this.stats.coalesced++;
    const p = this.queue.run(async () => {
      if (this.pending === p) this.pending = null;
      await this.once(reason);
    });
    this.pending = p;
    return p;
  }

  /** Run `fn` between passes, in the loop's queue (the API's rmi, and recording a pull). */
  exclusive<T>(fn: () => Promise<T>): Promise<T> {
    return this.queue.run(() => this.counted(fn));
  }

  /**
   * A pass soon. Rate-limited (the default): the first trigger after a quiet spell runs a pass
   * `settleMs` later, and triggers during that pass or within `gapMs` after it fold into one pass at
   * the end of that window. With `restart`, each trigger starts the `settleMs` wait again.
   */
  soon(reason: string): void {
    if (this.stopped) return;
    const { settleMs, gapMs = 0, restart = false } = this.o.debounce;
    if (this.debounceTimer) {
      if (!restart) return;
      clearTimeout(this.debounceTimer);
    } else if (!restart && this.soonPass !== 'idle') {
      this.soonPass = 'again';
      return;
    }
    const wait = Math.max(settleMs, this.lastSoonEnd + gapMs - performance.now());
    this.debounceTimer = setTimeout(() => {
      this.debounceTimer = null;
      this.soonPass = 'running';
      void this.run(reason).finally(() => {
        const again = this.soonPass === 'again';
        this.soonPass = 'idle';
        this.lastSoonEnd = performance.now();
        if (again) this.soon(reason);
      });
    }, wait);
  }

  private async counted<T>(fn: () => Promise<T>): Promise<T> {
    this.stats.running++;
    this.stats.maxConcurrent = Math.max(this.stats.maxConcurrent, this.stats.running);
    try {
      return await fn();
    } finally {
      this.stats.running--;
    }
  }

  private async once(reason: string): Promise<void> {
    if (this.stopped) return;
    this.passing = true;
    try {
      const r = await this.counted(() => this.o.reconcile(reason));
      this.backoff = this.o.retryMinMs ?? 500;
      this.requeue(r?.requeueAfter ?? null);
    } catch (err) {
      const after = (err as PassError).requeueAfter;
      if (after !== undefined) this.requeue(after);
      this.retry();
    } finally {
      this.passing = false;
    }
  }

  private requeue(afterMs: number | null): void {
    if (this.dueTimer) clearTimeout(this.dueTimer);
    this.dueTimer = null;
    if (afterMs === null || this.stopped) return;
    this.dueTimer = setTimeout(() => void this.run('due'), Math.min(Math.max(0, afterMs), MAX_TIMER_MS));
  }

  private retry(): void {
    if (this.retryTimer || this.stopped) return;
    const delay = this.backoff;
    this.backoff = Math.min(this.backoff * 2, this.o.retryMaxMs ?? 10_000);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      void this.run('retry');
    }, delay);
  }
}
