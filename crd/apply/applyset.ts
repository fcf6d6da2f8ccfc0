/**
 * Applying a set of manifests: all or nothing, kubectl's created/configured/unchanged verdicts,
 * ApplySet-style pruning, and a server dry run that returns the plan the set would cause without
 * changing anything. Pure.
 *
 * ApplySets (as kubectl's `--prune --applyset`): every object applied with `--applyset NAME` carries
 * the label `imagectl.dev/applyset=<id>`, where the id is derived from NAME. Pruning deletes the
 * objects that carry the same label and are absent from the input, and nothing else: objects of
 * other sets and unlabelled objects are never touched.
 */
import { createHash } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import type { Manifest, ServerMetadata, Stored, StoredObject } from '../api/object.js';

export type ApplyAction = 'created' | 'configured' | 'unchanged' | 'pruned' | 'deleted';

export interface ApplyResult {
  kind: string;
  name: string;
  action: ApplyAction;
}

export interface ApplyOptions {
  /** delete the objects of the applyset that are not in the input; needs `applyset` */
  prune?: boolean;
  /** the applyset's name (`--applyset NAME`) */
  applyset?: string;
}

export interface ApplyPlan {
  results: ApplyResult[];
  /** objects to write */
  puts: StoredObject[];
  /** objects to delete (pruned) */
  deletes: { kind: string; name: string }[];
  /** why nothing may be applied (empty when the set is fine) */
  problems: string[];
}

export const APPLYSET_LABEL = 'imagectl.dev/applyset';
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** kubectl's id scheme: `applyset-<base64url(sha256(name.namespace.kind.group))>-v1`, a valid label value. */
export function applysetId(name: string): string {
  const hash = createHash('sha256').update(`${name}..ApplySet.imagectl.dev`).digest('base64url');
  return `applyset-${hash}-v1`;
}

/** Why `--prune`/`--applyset` cannot be used as given, or null. */
export function applyOptionsProblem(o: ApplyOptions): string | null {
  if (o.prune && !o.applyset) return '--prune needs --applyset NAME: imagectl prunes only the objects of one applyset';
  if (o.applyset !== undefined && (!DNS_SUBDOMAIN.test(o.applyset) || o.applyset.length > 253)) {
    return `--applyset ${JSON.stringify(o.applyset)}: must be lowercase letters, digits, '-' and '.' (a DNS-1123 subdomain)`;
  }
  return null;
}

const key = (kind: string, name: string) => `${kind}/${name}`;
const ref = (kind: string, name: string) => `${kind.toLowerCase()}/${name}`;

function sameContent(a: StoredObject, b: Manifest): boolean {
  return (
    isDeepStrictEqual(a.spec, b.spec) &&
    isDeepStrictEqual(a.metadata.labels ?? {}, b.metadata.labels ?? {}) &&
    isDeepStrictEqual(a.metadata.annotations ?? {}, b.metadata.annotations ?? {})
  );
}

/** The object as it is written: with the applyset label when applied as part of a set. */
function labelled<T extends Manifest>(o: T, id: string | undefined): T {
  if (!id) return o;
  return { ...o, metadata: { ...o.metadata, labels: { ...(o.metadata.labels ?? {}), [APPLYSET_LABEL]: id } } };
}

/** Objects may not claim a set by hand, nor move from one set to another. */
function ownershipProblems(live: Map<string, StoredObject>, incoming: readonly Manifest[], id: string | undefined): string[] {
  const out: string[] = [];
  for (const o of incoming) {
    const own = o.metadata.labels?.[APPLYSET_LABEL];
    if (own !== undefined && own !== id) {
      out.push(`${ref(o.kind, o.metadata.name)}: the label ${APPLYSET_LABEL} is set by --applyset, not by hand`);
      continue;
    }
    const theirs = live.get(key(o.kind, o.metadata.name))?.metadata.labels?.[APPLYSET_LABEL];
    if (id && theirs !== undefined && theirs !== id) {
      out.push(`${ref(o.kind, o.metadata.name)} belongs to another applyset (${theirs}): delete it there, or apply it with that set`);
    }
  }
  return out;
}

/** The object as it is stored: the manifest's fields in their usual order (whatever the input's) and the server's metadata. */
function stored<T extends Manifest>(o: T, server: ServerMetadata): Stored<T> {
  const { name, labels, annotations } = o.metadata;
  const metadata = { name, ...(labels ? { labels } : {}), ...(annotations ? { annotations } : {}), ...server };
  // the first object fixes the key order; a manifest has no other top-level fields (the schemas say so)
  return Object.assign({ apiVersion: o.apiVersion, kind: o.kind, metadata, spec: o.spec }, o, { metadata });
}

/**
 * What applying `incoming` over `live` does: the verdicts, the objects to write and to delete.
 * `newUid` names each created object (the agent passes crypto's randomUUID).
 */
export function planApply(live: readonly StoredObject[], incoming: readonly Manifest[], now: Date, newUid: () => string, opts: ApplyOptions = {}): ApplyPlan {
  const byKey = new Map(live.map((o) => [key(o.kind, o.metadata.name), o]));
  const optionProblem = applyOptionsProblem(opts);
  const id = opts.applyset ? applysetId(opts.applyset) : undefined;
  const problems = optionProblem ? [optionProblem] : ownershipProblems(byKey, incoming, id);
  const results: ApplyResult[] = [];
  const puts: StoredObject[] = [];
  const deletes: { kind: string; name: string }[] = [];
  if (problems.length > 0) return { results, puts, deletes, problems };
  for (const raw of incoming) {
    const o = labelled(raw, id);
    const old = byKey.get(key(o.kind, o.metadata.name));
    if (old && sameContent(old, o)) {
      results.push({ kind: o.kind, name: o.metadata.name, action: 'unchanged' });
      continue;
    }
    puts.push(stored(o, {
      uid: old?.metadata.uid ?? newUid(),
      generation: (old?.metadata.generation ?? 0) + 1,
      creationTimestamp: old?.metadata.creationTimestamp ?? now.toISOString(),
    }));
    results.push({ kind: o.kind, name: o.metadata.name, action: old ? 'configured' : 'created' });
  }
  if (opts.prune && id) {
    const wanted = new Set(incoming.map((o) => key(o.kind, o.metadata.name)));
    const sorted = [...live].sort((a, b) => key(a.kind, a.metadata.name).localeCompare(key(b.kind, b.metadata.name)));
    for (const o of sorted) {
      if (o.metadata.labels?.[APPLYSET_LABEL] !== id || wanted.has(key(o.kind, o.metadata.name))) continue;
      deletes.push({ kind: o.kind, name: o.metadata.name });
      results.push({ kind: o.kind, name: o.metadata.name, action: 'pruned' });
    }
  }
  return { results, puts, deletes, problems };
}

/** The live set after a plan: what a server dry run evaluates. */
export function afterPlan(live: readonly StoredObject[], plan: Pick<ApplyPlan, 'puts' | 'deletes'>): StoredObject[] {
  const m = new Map(live.map((o) => [key(o.kind, o.metadata.name), o]));
  for (const d of plan.deletes) m.delete(key(d.kind, d.name));
  for (const p of plan.puts) m.set(key(p.kind, p.metadata.name), p);
  return [...m.values()];
}
