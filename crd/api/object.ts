/**
 * Manifests as the CLI sends them and the agent keeps them. Each kind has one type, generated from
 * its schema (crd/precompiled/manifest-types.ts); a stored object is that type plus the metadata the
 * server manages.
 */
import type { Kinds, Manifest } from '../precompiled/manifest-types.js';

export type { Kinds, Manifest };
export type KindName = keyof Kinds;

/** What the agent sets when it stores an object; never part of what is applied or compared. */
export interface ServerMetadata {
  uid: string;
  /** raised by every change of the object's content */
  generation: number;
  creationTimestamp: string;
}

/** An applied manifest as the agent keeps it. `Stored` of several kinds is a union: `kind` narrows it. */
export type Stored<T extends Manifest = Manifest> = T & { metadata: ServerMetadata };

export type StoredObject = Stored;
/** The stored objects of one kind (`StoredOf<'Workload'>` is `Stored<Workload>`). */
export type StoredOf<K extends KindName> = Extract<StoredObject, { kind: K }>;

/** Is this stored object of that kind? */
export function isKind<K extends KindName>(o: StoredObject, kind: K): o is StoredOf<K> {
  return o.kind === kind;
}

/**
 * The trust boundary between JSON and the kinds' types: objects a validator accepted (the
 * validators and the types come from the same schemas) are manifests. `problems` is what the
 * validator said; the objects are typed only when it said nothing.
 */
export function acceptedManifests(objects: readonly unknown[], problems: readonly unknown[]): Manifest[] {
  if (problems.length > 0) throw new Error(`acceptedManifests: ${problems.length} problem(s); the objects are not manifests`);
  return objects as Manifest[];
}
