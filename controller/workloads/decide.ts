/**
 * Pure decisions for one Workload: does its image need checking, and what happens to its container.
 * EVE semantics: Always resolves the registry digest and pulls only when it differs; IfNotPresent
 * pulls only when absent; Never fails when absent. Counters are level-triggered: the agent records
 * the last value it acted on.
 */
import { createHash } from 'node:crypto';
import type { PullPolicy, Workload } from '../../crd/workload/type.js';
import { normalize, normalizeWithDefaultTag, parseReference, splitReference } from '../../crd/fields/reference.js';

export interface Counters {
  refreshImage: number;
  restart: number;
  purge: number;
}

export function countersOf(w: Workload): Counters {
  return { refreshImage: w.spec.refreshImage ?? 0, restart: w.spec.restart ?? 0, purge: w.spec.purge ?? 0 };
}

export function raised(now: Counters, seen: Counters | undefined): { refresh: boolean; restart: boolean; purge: boolean } {
  if (!seen) return { refresh: false, restart: false, purge: false };
  return { refresh: now.refreshImage > seen.refreshImage, restart: now.restart > seen.restart, purge: now.purge > seen.purge };
}

export function pullPolicyOf(w: Workload, defaultPolicy: PullPolicy): PullPolicy {
  if (w.spec.imagePullPolicy) return w.spec.imagePullPolicy;
  return w.spec.archive ? 'IfNotPresent' : defaultPolicy;
}

/** What the container is made of; a change means recreate. Counters are not part of it. */
export function specHash(w: Workload): string {
  const { image, command, env, archive, archiveDigest } = w.spec;
  return createHash('sha256').update(JSON.stringify({ image, command: command ?? null, env: env ?? {}, archive: archive ?? null, archiveDigest: archiveDigest ?? null })).digest('hex').slice(0, 16);
}

export interface ImageRefParts {
  /** what to pull or resolve: `repo:tag`, or `repo@digest` for a digest-only pin */
  pullRef: string;
  /** `repo:tag` normalized, or null for a digest-only reference */
  tagRef: string | null;
  /** the repository, normalized: `localhost:5000/sensor` */
  repo: string;
  /** the pinned digest, or null */
  pin: string | null;
}

export function refParts(image: string): ImageRefParts {
  const r = parseReference(image);
  if (!r.ok) throw new Error(r.error);
  const { digest } = splitReference(image);
  const repo = `${r.ref.domain}/${r.ref.path}`;
  const tagRef = r.ref.tag !== undefined || digest === undefined ? normalizeWithDefaultTag(`${repo}${r.ref.tag ? `:${r.ref.tag}` : ''}`) : null;
  return { pullRef: tagRef ?? `${repo}@${digest}`, tagRef, repo, pin: digest ?? null };
}

/** Does the local image carry this repository's digest? */
export function hasDigest(repoDigests: readonly string[], repo: string, digest: string): boolean {
  return repoDigests.some((d) => {
    const at = d.lastIndexOf('@');
    return d.slice(at + 1) === digest && normalizeWithDefaultTag(d.slice(0, at)).replace(/:latest$/, '') === repo;
  });
}

export type ContainerAction = 'create' | 'recreate' | 'purge' | 'restart' | 'start' | 'none';

/**
 * What to do with the container, given the image the workload should run now. A new image or a
 * changed spec recreates it (which is also the restart); a raised purge recreates it discarding its
 * volumes; a raised restart restarts it once; a container that was never started is started.
 */
export function containerAction(
  container: { imageId: string; state: string; specHash: string | undefined } | undefined,
  imageId: string,
  hash: string,
  r: { restart: boolean; purge: boolean },
): ContainerAction {
  if (!container) return 'create';
  if (r.purge) return 'purge';
  if (container.imageId !== imageId || container.specHash !== hash) return 'recreate';
  if (r.restart) return 'restart';
  if (container.state === 'created') return 'start';
  return 'none';
}

export interface WorkloadDecision {
  counters: Counters;
  raised: { refresh: boolean; restart: boolean; purge: boolean };
  hash: string;
  policy: PullPolicy;
  /** the container exists with another spec */
  specChanged: boolean;
  /** the image has to be checked (no container, a new spec, a raised counter, not running yet) */
  needCheck: boolean;
}

/** What a Workload's reconcile starts from: its counters against those last acted on, and its container. */
export function decideWorkload(
  w: Workload,
  prev: { observedCounters: Counters | null; phase: string } | undefined,
  container: { specHash: string | undefined } | undefined,
  defaultPolicy: PullPolicy,
): WorkloadDecision {
  const counters = countersOf(w);
  const r = raised(counters, prev?.observedCounters ?? undefined);
  const hash = specHash(w);
  const specChanged = container !== undefined && container.specHash !== hash;
  const needCheck = !container || specChanged || r.refresh || r.purge || prev?.phase !== 'Running';
  return { counters, raised: r, hash, policy: pullPolicyOf(w, defaultPolicy), specChanged, needCheck };
}

/**
 * How the image is brought in, from the pull policy and the local copy: `none` (the local copy is
 * used), `load` (the archive), `resolve` (the registry digest first, then a pull only if it
 * differs), `pull` (absent: resolve, then pull), `missing` (Never and absent: the workload fails).
 * `force`: a raised refreshImage or purge.
 */
export type ImageStep = 'none' | 'load' | 'resolve' | 'pull' | 'missing';

export function imageStep(o: { archive: boolean; policy: PullPolicy; local: boolean; pinnedLocal: boolean; force: boolean }): ImageStep {
  if (o.archive) {
    if (o.local && !o.force) return 'none';
    return o.policy === 'Never' && !o.local ? 'missing' : 'load';
  }
  if (o.policy === 'Never') return o.local && o.pinnedLocal ? 'none' : 'missing';
  if (o.policy === 'IfNotPresent' && !o.force && o.local && o.pinnedLocal) return 'none';
  return o.local ? 'resolve' : 'pull';
}

/** The reference the local copy is looked up by: `repo@pin` for a pinned image, else its tag. */
export function localRef(parts: ImageRefParts): string {
  return parts.pin ? `${parts.repo}@${parts.pin}` : parts.pullRef;
}

/** Is the local copy the pinned one (always true without a pin)? */
export function pinnedLocal(local: { repoDigests: readonly string[] } | null, parts: ImageRefParts): boolean {
  return local && parts.pin ? hasDigest(local.repoDigests, parts.repo, parts.pin) : true;
}

/** The image a reference names among observed images (by tag, or by digest reference), as the engine would resolve it. */
export function findLocal<T extends { tags: readonly string[]; repoDigests: readonly string[] }>(images: readonly T[], ref: string): T | null {
  const want = ref.includes('@') ? normalize(ref) : normalizeWithDefaultTag(ref);
  const refs = (i: T) => (ref.includes('@') ? i.repoDigests.map(normalize) : i.tags.map((t) => normalizeWithDefaultTag(t)));
  return images.find((i) => refs(i).includes(want)) ?? null;
}
