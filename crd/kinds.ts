import imagePolicySchema from './imagepolicy/schema.json' with { type: 'json' };
import { checkImagePolicy } from './imagepolicy/check.js';
import workloadSchema from './workload/schema.json' with { type: 'json' };
import { checkWorkload } from './workload/check.js';

import type { KindName, Manifest } from './api/object.js';
import type { PushProblem } from './problems.js';

export type { PathSegment, PushProblem } from './problems.js';

/** Everything imagectl needs to know about one manifest kind. Adding a kind means adding one entry. */
export interface KindDef {
  kind: KindName;
  plural: string;
  singular: string;
  shortNames: string[];
  /** Structural JSON Schema (draft-07) for the whole object; see structural.ts. */
  schema: Record<string, unknown>;
  /** Checks the schema cannot express. Runs only on objects that passed this kind's schema. */
  semanticCheck(obj: Manifest, push: PushProblem): void;
}

export const KINDS: Record<string, KindDef> = {
  ImagePolicy: {
    kind: 'ImagePolicy',
    plural: 'imagepolicies',
    singular: 'imagepolicy',
    shortNames: ['ip', 'policy', 'policies'],
    schema: imagePolicySchema,
    semanticCheck: checkImagePolicy,
  },
  Workload: {
    kind: 'Workload',
    plural: 'workloads',
    singular: 'workload',
    shortNames: ['wl'],
    schema: workloadSchema,
    semanticCheck: checkWorkload,
  },
};

/** Find a kind by its kind, plural, singular or short name, case-insensitively (`get policies`). */
export function findKind(name: string): KindDef | undefined {
  const n = name.toLowerCase();
  return Object.values(KINDS).find(
    (k) => k.kind.toLowerCase() === n || k.plural === n || k.singular === n || k.shortNames.includes(n),
  );
}
