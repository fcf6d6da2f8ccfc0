/**
 * Applying a set of manifests: all or nothing, kubectl's created/configured/unchanged verdicts, and
 * a server dry run that returns the plan the set would cause without changing anything.
 */
import { randomUUID } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import type { StoredObject } from '../store/store.js';

export type ApplyAction = 'created' | 'configured' | 'unchanged' | 'pruned' | 'deleted';

export interface ApplyResult {
  kind: string;
  name: string;
  action: ApplyAction;
}

export interface IncomingObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec: unknown;
}

const key = (kind: string, name: string) => `${kind}/${name}`;

function sameContent(a: StoredObject, b: IncomingObject): boolean {
  return (
    isDeepStrictEqual(a.spec, b.spec) &&
    isDeepStrictEqual(a.metadata.labels ?? {}, b.metadata.labels ?? {}) &&
    isDeepStrictEqual(a.metadata.annotations ?? {}, b.metadata.annotations ?? {})
  );
}

/** Pure: what applying `incoming` over `live` does, and the objects to write. */
export function planApply(live: readonly StoredObject[], incoming: readonly IncomingObject[], now: Date): { results: ApplyResult[]; puts: StoredObject[] } {
  const byKey = new Map(live.map((o) => [key(o.kind, o.metadata.name), o]));
  const results: ApplyResult[] = [];
  const puts: StoredObject[] = [];
  for (const o of incoming) {
    const old = byKey.get(key(o.kind, o.metadata.name));
    if (old && sameContent(old, o)) {
      results.push({ kind: o.kind, name: o.metadata.name, action: 'unchanged' });
      continue;
    }
    const metadata: StoredObject['metadata'] = {
      name: o.metadata.name,
      ...(o.metadata.labels ? { labels: o.metadata.labels } : {}),
      ...(o.metadata.annotations ? { annotations: o.metadata.annotations } : {}),
      uid: old?.metadata.uid ?? randomUUID(),
      generation: (old?.metadata.generation ?? 0) + 1,
      creationTimestamp: old?.metadata.creationTimestamp ?? now.toISOString(),
    };
    puts.push({ apiVersion: o.apiVersion, kind: o.kind, metadata, spec: o.spec });
    results.push({ kind: o.kind, name: o.metadata.name, action: old ? 'configured' : 'created' });
  }
  return { results, puts };
}
