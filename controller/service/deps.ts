import type { PullPolicy } from '../../crd/workload/type.js';
import type { ArchiveStore } from '../effects/archives.js';
import type { EngineClient } from '../engine/client.js';
import type { Reconciler } from '../reconcile/reconciler.js';
import type { Store } from '../store/store.js';

/** What the API's route modules share. */
export interface ApiDeps {
  store: Store;
  reconciler: Reconciler;
  nodeLabels: Record<string, string>;
  /** server-side validation; returns error messages (empty when valid) */
  validate: (objects: unknown[]) => string[];
  stateDir: string;
  docker: EngineClient;
  archives: ArchiveStore;
  /** the node's Open Horizon constraints (`--node-constraint`), matched against policy properties */
  nodeConstraints?: readonly string[];
  /** the default imagePullPolicy of Workloads (`--default-pull-policy`), as the workload executor has it */
  defaultPullPolicy: PullPolicy;
  /** the `--manifests DIR` watch, when the agent runs one */
  watch?: { status(): ManifestWatchStatus };
}

/** What the `--manifests DIR` watch reports (health, `version`, `describe`). */
export interface ManifestWatchStatus {
  dir: string;
  applyset: string;
  applysetId: string;
  /** when the directory was last applied without problems */
  lastAppliedAt: string | null;
  lastCheckedAt: string | null;
  /** the objects of the last good set, `kind/name` */
  objects: string[];
  /** why the last attempt failed (the last good set stays applied), or null */
  error: string | null;
  /** entries of the directory that were not read (FIFOs, devices, symlinks that leave it), and why */
  refused: { file: string; reason: string }[];
}
