import type { ObjectMeta } from '../types.js';

export type PullPolicy = 'Always' | 'IfNotPresent' | 'Never';

export interface WorkloadSpec {
  /** `localhost:5000/sensor:1.4`, optionally `…@sha256:<digest>` (verified) */
  image: string;
  imagePullPolicy?: PullPolicy;
  /** a `docker save` tarball to load the image from, instead of a registry */
  archive?: string;
  /** sha256 of the archive file, verified before loading */
  archiveDigest?: string;
  command?: string[];
  env?: Record<string, string>;
  /** counter: raise it to check for a new image */
  refreshImage?: number;
  /** counter: raise it to restart */
  restart?: number;
  /** counter: raise it to recreate the container, discarding its state */
  purge?: number;
}

export interface Workload {
  apiVersion: 'imagectl.dev/v1alpha1';
  kind: 'Workload';
  metadata: ObjectMeta;
  spec: WorkloadSpec;
}
