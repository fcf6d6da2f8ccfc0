/**
 * Pure decisions for one Workload: does its image need checking, and what happens to its container.
 * EVE semantics: Always resolves the registry digest and pulls only when it differs; IfNotPresent
 * pulls only when absent; Never fails when absent. Counters are level-triggered: the agent records
 * the last value it acted on.
 */
import { createHash } from 'node:crypto';
import type { PullPolicy, Workload } from '../../crd/workload/type.js';
import { normalizeWithDefaultTag, parseReference, splitReference } from '../../crd/fields/reference.js';

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
