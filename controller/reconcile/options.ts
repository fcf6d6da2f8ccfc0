/** What the reconciler is made of: the engine, the store, the executors, the clock and the timing. */
import type { EngineClient } from '../engine/client.js';
import type { ArchiveStore } from '../effects/archives.js';
import type { Store } from '../store/store.js';
import type { WorkloadExecutor } from '../workloads/executor.js';
import type { UseLog } from './uses.js';

export interface Logger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface ReconcilerOptions {
  docker: EngineClient;
  store: Store;
  nodeLabels: Record<string, string>;
  /** the node's Open Horizon constraints, matched against policy properties */
  nodeConstraints?: readonly string[];
  /** periodic full resync, ms */
  intervalMs: number;
  /** engine events run at most one pass per this window, ms (default 100) */
  debounceMs?: number;
  /** the first event after a quiet spell runs a pass this much later, ms (default 25) */
  settleMs?: number;
  now?: () => number;
  log: Logger;
  workloads: WorkloadExecutor;
  archives: ArchiveStore;
  /** told about every pass when it ends (the metrics: duration, errors) */
  onPass?: (p: { at: string; durationMs: number; error: string | null }) => void;
}

/** The options with the clock resolved: what a pass and the commands work with. */
export type PassDeps = ReconcilerOptions & {
  now: () => number;
  stopped: () => boolean;
  /** uses from the engine's events, not yet recorded */
  uses: UseLog;
  /** true once the event stream is connected and its history replayed (events.ts) */
  history: () => Promise<boolean>;
};
