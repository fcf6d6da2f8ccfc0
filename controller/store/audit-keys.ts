/**
 * The keys of the audit log, which sort in the order records were written. A key is the newest
 * record time written so far (ms) and a sequence: a record whose own time is earlier than what is
 * already in the log (an API call's record carries the time its request started and is written when
 * it is done, after the transitions the call made) sorts after those, so that a reader that follows
 * the log by key (the fleet's outbox, `audit -f`) never finds a record behind its cursor. Both parts
 * resume from the last key in the store, so keys keep rising across restarts. A record's `time`
 * stays what it was; a key is never earlier than its record's time, so a `since` read takes the
 * keys from `since` on and drops the few records whose own time is earlier.
 */
import type { LogRecord } from '../../crd/api/audit.js';

export const pad = (n: number, w: number) => String(n).padStart(w, '0');

/** the first key of the log that may hold records from `since` (ms) on */
export const sinceKey = (since: number) => `${pad(Math.max(0, since), 15)}.`;

/** the record's own time is `since` or later */
export const fromSince = (r: LogRecord, since: number | undefined) => since === undefined || Date.parse(r.time) >= since;

export class AuditKeys {
  private ms = 0;
  private seq = 0;

  /** Continue after the last key of the log (none: an empty log). */
  resume(lastKey: string | undefined): void {
    if (lastKey === undefined) return;
    this.ms = Number(lastKey.slice(0, 15));
    this.seq = Number(lastKey.slice(16));
  }

  /**
   * Keys for the records of one commit, in the order they are to be written: the commit lands at
   * once, so its own records go in time order (stable), after everything written before.
   */
  assign<R extends LogRecord>(records: R[]): [string, R][] {
    const byTime = records.map((r, i) => ({ r, i, t: Date.parse(r.time) })).sort((a, b) => a.t - b.t || a.i - b.i);
    return byTime.map(({ r, t }) => {
      this.ms = Math.max(this.ms, Number.isFinite(t) ? t : 0);
      return [`${pad(this.ms, 15)}.${pad(++this.seq, 10)}`, r];
    });
  }
}
