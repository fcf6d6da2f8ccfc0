/** The audit of mutating API calls: one record per call, with its actor and outcome. */
import { apiCallRecord, type ApiCallRecord } from '../../crd/api/audit.js';
import type { CallRecord } from './http.js';

interface ResultLike {
  results?: { kind?: string; name?: string; action?: string }[];
  dryRun?: string;
  spec?: { refreshImage?: number };
  metadata?: { name?: string };
}

/** What a call did, in one line. Pure. */
export function describeCall(c: CallRecord): string {
  if (c.note.reason) return c.status >= 400 && c.error ? `${c.note.reason}: ${c.error}` : c.note.reason;
  if (c.status >= 400) return `${c.method} ${c.path} refused (HTTP ${c.status}): ${c.error ?? ''}`.trim();
  const r = (c.result ?? {}) as ResultLike;
  if (Array.isArray(r.results)) {
    const items = r.results.map((x) => `${String(x.kind ?? '').toLowerCase()}/${x.name} ${x.action}`);
    return `${r.dryRun === 'server' ? 'server dry run: ' : ''}${c.verb} ${items.join(', ') || '(nothing)'}`;
  }
  if (c.verb === 'refresh' && r.metadata?.name) return `refresh workload/${r.metadata.name}: refreshImage raised to ${r.spec?.refreshImage}`;
  return `${c.method} ${c.path}`;
}

export function callRecord(c: CallRecord): ApiCallRecord {
  return apiCallRecord({ time: c.startedAt, verb: c.verb, ok: c.note.ok ?? c.status < 400, reason: describeCall(c), actor: c.actor, image: c.note.image, tags: c.note.tags });
}
