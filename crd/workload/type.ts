/**
 * The Workload kind's type: generated from crd/workload/schema.json (npm run types), so it is the
 * shape the validator accepts. The names below are parts of it that code refers to.
 */
import type { Workload } from '../precompiled/manifest-types.js';

export type { Workload };
export type WorkloadSpec = Workload['spec'];
export type PullPolicy = NonNullable<WorkloadSpec['imagePullPolicy']>;
