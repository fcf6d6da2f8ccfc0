/** A soak's figures, as data (written as JSON) and as text (printed, and the rows of RELIABILITY.md). */
import type { SoakActions } from './actions.js';
import type { FaultLane, FaultWindow } from './faults.js';
import type { EngineOracle, Violation } from './oracle.js';

export interface SoakReport {
  seed: number;
  minutes: number;
  unseenUses: boolean;
  operations: { done: number; skipped: number; failed: number; byKind: Record<string, { done: number; skipped: number; failed: number }>; errors: string[] };
  faults: { injected: number; byKind: Record<string, number>; windows: FaultWindow[]; errors: string[] };
  removals: { byAgent: number; forSpace: number; bySchedule: number; latencyAfterDueMs: { p50: number | null; p95: number | null; max: number | null } };
  late: { total: number; withoutFault: number; list: { image: string; dueAt: string; duringFault: boolean; agentAudit?: string[] }[] };
  violations: Violation[];
  engine: { events: number; reconnects: number; unseenDeletes: number; unseenArrivals: number; containersCreated: number; containersNotCounted: number };
  agentRss: { minMb: number; medianMb: number; maxMb: number; lastMb: number; perMinuteMb: number[] } | null;
  /** the agent's machines against the engine at the end (empty: they agree) */
  finalState: string[];
  /** every operation of the schedule, in order */
  trace: string[];
}

const quantile = (xs: number[], q: number) => (xs.length ? [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))]! : null);
const mb = (b: number) => Math.round(b / 1e5) / 10;
const sum = (m: Partial<Record<string, number>>) => Object.values(m).reduce((a: number, b) => a + (b ?? 0), 0);

export function summarize(r: {
  seed: number; durationMs: number; unseenUses: boolean; actions: SoakActions; faults: FaultLane; oracle: EngineOracle; rss: { t: number; bytes: number }[]; agrees: string[];
}): SoakReport {
  const c = r.actions.counts;
  const kinds = [...new Set([...Object.keys(c.done), ...Object.keys(c.skipped), ...Object.keys(c.failed)])].sort();
  const byKind = Object.fromEntries(kinds.map((k) => [k, { done: c.done[k as never] ?? 0, skipped: c.skipped[k as never] ?? 0, failed: c.failed[k as never] ?? 0 }]));
  const lat = r.oracle.agentRemovals.map((a) => a.afterDue).filter((x): x is number => x !== null);
  const bytes = r.rss.map((s) => s.bytes);
  const perMinute: number[] = [];
  for (const s of r.rss) perMinute[Math.floor(s.t / 60_000)] = mb(s.bytes);
  return {
    seed: r.seed,
    minutes: Math.round(r.durationMs / 6_000) / 10,
    unseenUses: r.unseenUses,
    operations: { done: sum(c.done), skipped: sum(c.skipped), failed: sum(c.failed), byKind, errors: c.errors },
    faults: { injected: sum(r.faults.counts), byKind: r.faults.counts as Record<string, number>, windows: r.faults.windows, errors: r.faults.errors },
    removals: { byAgent: r.oracle.agentRemovals.length, forSpace: r.oracle.agentRemovals.filter((a) => a.forSpace).length, bySchedule: r.oracle.ownRemovals.length, latencyAfterDueMs: { p50: quantile(lat, 0.5), p95: quantile(lat, 0.95), max: lat.length ? Math.max(...lat) : null } },
    late: { total: r.oracle.late.length, withoutFault: r.oracle.late.filter((l) => !l.duringFault).length, list: r.oracle.late.map((l) => ({ image: l.id, dueAt: new Date(l.dueAt).toISOString(), duringFault: l.duringFault })) },
    violations: r.oracle.violations,
    engine: { events: r.oracle.events, containersCreated: r.oracle.containersCreated, reconnects: r.oracle.reconnects, unseenDeletes: r.oracle.unseenDeletes, unseenArrivals: r.oracle.unseenArrivals, containersNotCounted: r.oracle.ignoredContainers },
    agentRss: bytes.length ? { minMb: mb(Math.min(...bytes)), medianMb: mb(quantile(bytes, 0.5)!), maxMb: mb(Math.max(...bytes)), lastMb: mb(bytes.at(-1)!), perMinuteMb: perMinute.map((x) => x ?? 0) } : null,
    finalState: r.agrees,
    trace: r.actions.trace,
  };
}

export function formatReport(r: SoakReport): string {
  const kinds = Object.entries(r.operations.byKind).map(([k, v]) => `${k} ${v.done}${v.skipped ? `+${v.skipped} skipped` : ''}${v.failed ? `+${v.failed} failed` : ''}`).join(', ');
  const l = r.removals.latencyAfterDueMs;
  return [
    `soak: seed ${r.seed}, ${r.minutes} min, ${r.unseenUses ? 'with' : 'without'} short-lived containers and uses while the agent is away`,
    `operations: ${r.operations.done} done, ${r.operations.skipped} skipped, ${r.operations.failed} failed (${kinds})`,
    `faults injected: ${r.faults.injected} (${Object.entries(r.faults.byKind).map(([k, v]) => `${k} ${v}`).join(', ')})${r.faults.errors.length ? `; fault errors: ${r.faults.errors.join('; ')}` : ''}`,
    `removals: ${r.removals.byAgent} by the agent (${r.removals.forSpace} of them for space), ${r.removals.bySchedule} by the schedule; after due: p50 ${l.p50} ms, p95 ${l.p95} ms, max ${l.max} ms`,
    `due but not removed within 2 s: ${r.late.total} (${r.late.withoutFault} with no fault around)`,
    `engine events: ${r.engine.events} (containers created ${r.engine.containersCreated}), oracle reconnects ${r.engine.reconnects}, deletes and arrivals the stream missed ${r.engine.unseenDeletes} and ${r.engine.unseenArrivals}${r.unseenUses ? '' : `, containers shorter-lived than main claims to see (not counted as uses) ${r.engine.containersNotCounted}`}`,
    r.agentRss ? `agent RSS: min ${r.agentRss.minMb} MB, median ${r.agentRss.medianMb} MB, max ${r.agentRss.maxMb} MB, last ${r.agentRss.lastMb} MB; per minute [${r.agentRss.perMinuteMb.join(', ')}]` : 'agent RSS: not sampled',
    `final state: ${r.finalState.length ? r.finalState.join('; ') : 'the agent agrees with the engine'}`,
    `violations: ${r.violations.length}`,
    ...r.violations.slice(0, 20).flatMap((v) => [`  ${v.at} ${v.image.slice(7, 19)}: ${v.what}`, ...(v.agentAudit ?? []).map((a) => `      agent: ${a}`)]),
  ].join('\n');
}
