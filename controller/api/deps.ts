import type { ArchiveStore } from '../effects/archives.js';
import type { EngineClient } from '../engine/client.js';
import type { Reconciler } from '../reconcile/reconciler.js';
import type { Store } from '../store/store.js';
import type { ManifestWatchStatus } from '../manifests/watch.js';

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
  /** the `--manifests DIR` watch, when the agent runs one */
  watch?: { status(): ManifestWatchStatus };
}
