/**
 * The audit log holds two kinds of records, both printed by `imagectl audit -o json` as one object
 * per line with time, image, tags, from, to, event, reason and actor:
 * - AuditRecord: a transition of one image's machine;
 * - ApiCallRecord: a mutating API call, with `event: "api.<verb>"` (api.apply, api.delete,
 *   api.refresh, api.pull, api.load, api.rmi, …), `from: null`, `to: "succeeded" | "failed"`, and
 *   `image: null` unless the call concerned one image (pull, load, rmi), so that `audit --image`
 *   shows it in that image's history.
 */
import { escapeControls } from './text.js';

/** A transition of one image's machine. */
export interface AuditRecord {
  /** ISO-8601 */
  time: string;
  /** image ID */
  image: string;
  tags: string[];
  from: string | null;
  to: string;
  event: string;
  reason: string;
  /** `agent`, `uid:0`, `token`, … */
  actor: string;
  /** a removal for disk pressure: the bytes it actually freed (measured before and after) */
  freedBytes?: number;
}

/** A mutating API call. */
export interface ApiCallRecord extends Omit<AuditRecord, 'image'> {
  /** the image the call concerned, or null */
  image: string | null;
}

/** Any record of the audit log. */
export type LogRecord = AuditRecord | ApiCallRecord;

/** The record of one mutating API call; what it says is escaped (a request's text is anybody's). */
export function apiCallRecord(a: { time: number; verb: string; ok: boolean; reason: string; actor: string; image?: string | null; tags?: string[] }): ApiCallRecord {
  return {
    time: new Date(a.time).toISOString(),
    image: a.image ?? null,
    tags: (a.tags ?? []).map(escapeControls),
    from: null,
    to: a.ok ? 'succeeded' : 'failed',
    event: `api.${a.verb}`,
    reason: escapeControls(a.reason),
    actor: escapeControls(a.actor),
  };
}
