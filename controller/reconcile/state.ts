/**
 * What the reconciler knows between passes, and the snapshot the API reads. Only controller/reconcile
 * writes the state. Its maps are replaced, never changed in place, once a snapshot may hold them, so
 * a snapshot stays as it was taken without copying anything.
 */
import type { ImagePolicy } from '../../crd/imagepolicy/type.js';
import type { Workload } from '../../crd/workload/type.js';
import type { PersistedImage } from '../../statemachines/runtime.js';
import type { Observation } from '../engine/observation.js';
import type { DownloadRecord } from '../store/records.js';
import type { EventCursor } from '../store/store.js';
import type { WorkloadStatus } from '../workloads/executor.js';
import type { LoopStats } from './loop.js';

export interface EngineStatus {
  reachable: boolean;
  error: string | null;
  since: string;
}

export interface SafeMode {
  since: string;
  reason: string;
}

/** How passes ran: `maxConcurrent` must stay 1. */
export interface PassStats extends LoopStats {
  /** engine events received */
  events: number;
  /** removals the engine failed for another reason than a container using the image (retried) */
  removalErrors: number;
}

export interface LastPass {
  at: string;
  durationMs: number;
  error: string | null;
}

/** A removal the engine refused with no container using the image: not retried until `key` changes. */
export interface Refusal {
  key: string;
  protectedBy: string;
}

export class LoopState {
  images: ReadonlyMap<string, PersistedImage> = new Map();
  downloads: ReadonlyMap<string, DownloadRecord> = new Map();
  statuses: ReadonlyMap<string, WorkloadStatus> = new Map();
  policies: ImagePolicy[] = [];
  /** the policies that select this node */
  selected: ImagePolicy[] = [];
  /** changes when the selected policies change */
  policiesKey = '';
  workloads: Workload[] = [];
  /** references being pulled or loaded through the API right now (see PassInput.arriving) */
  readonly arriving = new Set<string>();
  lastObservation: Observation | null = null;
  engine: EngineStatus = { reachable: false, error: 'not contacted yet', since: new Date().toISOString() };
  passes = 0;
  lastPass: LastPass | null = null;
  nextDueAt: number | null = null;
  /** non-null while the store takes no writes: nothing is removed */
  safeMode: SafeMode | null = null;
  events = 0;
  /** removals the engine failed for another reason than a container using the image (retried) */
  removalErrors = 0;
  /** terminal removal refusals, by image ID (kept in memory: an agent restart retries them) */
  refused: ReadonlyMap<string, Refusal> = new Map();
  /** results acted on in the engine but not yet written (safe mode, or an API pull awaiting its pass) */
  unwritten = { downloads: new Map<string, DownloadRecord>(), statuses: new Map<string, WorkloadStatus>(), deleted: new Set<string>() };
  /** the event cursor last written (uses.ts) */
  committedCursor: EventCursor | null = null;
  /** containers already logged as referencing a gone image */
  readonly dangling = new Set<string>();
  skewLogged = false;
}

/** What the API reads: a plain object, taken at one moment. */
export interface LoopSnapshot {
  now: number;
  engine: EngineStatus;
  passes: number;
  lastPass: LastPass | null;
  nextDueAt: number | null;
  safeMode: SafeMode | null;
  passStats: PassStats;
  images: ReadonlyMap<string, PersistedImage>;
  downloads: ReadonlyMap<string, DownloadRecord>;
  statuses: ReadonlyMap<string, WorkloadStatus>;
  lastObservation: Observation | null;
  /** the policies that select this node */
  policies: readonly ImagePolicy[];
  workloads: readonly Workload[];
  refused: ReadonlyMap<string, Refusal>;
}

export function snapshotOf(s: LoopState, stats: LoopStats, now: number): LoopSnapshot {
  return {
    now,
    engine: { ...s.engine },
    passes: s.passes,
    lastPass: s.lastPass && { ...s.lastPass },
    nextDueAt: s.nextDueAt,
    safeMode: s.safeMode && { ...s.safeMode },
    passStats: { ...stats, events: s.events, removalErrors: s.removalErrors },
    images: s.images,
    downloads: s.downloads,
    statuses: s.statuses,
    lastObservation: s.lastObservation,
    policies: s.selected,
    workloads: s.workloads,
    refused: s.refused,
  };
}

/** A copy of `m` with `set` put and `del` removed (the maps a snapshot may hold are never changed). */
export function withChanges<K, V>(m: ReadonlyMap<K, V>, set: Iterable<[K, V]>, del: Iterable<K> = []): Map<K, V> {
  const out = new Map(m);
  for (const [k, v] of set) out.set(k, v);
  for (const k of del) out.delete(k);
  return out;
}
