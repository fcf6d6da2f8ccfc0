/** What the API returns: list items built from a snapshot of the reconciler's state. Pure. */
import type { ImagePolicy } from '../../crd/imagepolicy/type.js';
import { API_VERSION } from '../../crd/types.js';
import { matchingKeeps, matchingRules, compilePolicies } from '../../crd/imagepolicy/match.js';
import { appliesToNode } from '../../crd/imagepolicy/applies.js';
import { normalize, normalizeWithDefaultTag } from '../../crd/fields/reference.js';
import { removeAt } from '../../statemachines/image.js';
import type { PersistedImage } from '../../statemachines/runtime.js';
import type { ImageItem } from '../../crd/api/image.js';
import { previewPlan } from '../reconcile/protection.js';
import type { LoopSnapshot } from '../reconcile/state.js';
import type { Observation } from '../engine/observation.js';
import { HttpError } from './errors.js';
import { diskView } from './disk-view.js';
import { budgetsOf } from '../../crd/imagepolicy/disk-pressure.js';
import type { ImageBytes } from '../disk/meter.js';

export type { ImageItem } from '../../crd/api/image.js';

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());


/**
 * `labels`: the engine's labels of the image, from the last observation (see imageLabels);
 * `unique`: each image's unique bytes (/system/df), when known
 */
export function imageItem(p: PersistedImage, labels?: Readonly<Record<string, string>>, unique?: ReadonlyMap<string, number> | null): ImageItem {
  const c = p.context;
  const due = p.state === 'idle' || p.state === 'removable' ? removeAt(c) : null;
  return {
    apiVersion: API_VERSION,
    kind: 'Image',
    metadata: { name: c.id, ...(labels && Object.keys(labels).length > 0 ? { labels: { ...labels } } : {}) },
    status: {
      state: p.state,
      tags: c.tags,
      repoDigests: c.repoDigests,
      lastUsedAt: iso(c.lastUsedAt),
      agentDownloaded: c.agentDownloaded,
      downloadedAt: iso(c.downloadedAt),
      rule: c.rule,
      removeAt: iso(due),
      protectedBy: c.protectedBy,
      usedBy: c.usedBy,
      sizeBytes: c.sizeBytes,
      uniqueSizeBytes: p.state === 'removed' ? null : (unique?.get(c.id) ?? null),
      firstSeenAt: new Date(c.firstSeenAt).toISOString(),
      removedAt: iso(c.removedAt),
      reason: c.reason,
      lastError: c.lastError,
    },
  };
}

const labelCache = new WeakMap<Observation, Map<string, Record<string, string>>>();

/** image ID → the engine's labels of that image, in the last observation (cached per observation). */
export function imageLabels(observed: Observation | null): ReadonlyMap<string, Record<string, string>> {
  if (!observed) return new Map();
  let m = labelCache.get(observed);
  if (!m) {
    m = new Map(observed.images.map((i) => [i.id, i.labels]));
    labelCache.set(observed, m);
  }
  return m;
}

/** Find an image by ID, ID prefix, tag or digest reference. Current images win over removed ones. */
export function resolveImage(images: ReadonlyMap<string, PersistedImage>, ref: string): PersistedImage[] {
  const all = [...images.values()].sort((a, b) => Number(a.state === 'removed') - Number(b.state === 'removed'));
  const hex = ref.replace(/^sha256:/, '');
  if (/^[a-f0-9]{4,64}$/.test(hex)) {
    const byId = all.filter((p) => p.context.id.replace(/^sha256:/, '').startsWith(hex));
    if (byId.length > 0) return byId;
  }
  const want = new Set([normalize(ref), normalizeWithDefaultTag(ref)]);
  const hits = all.filter((p) => [...p.context.tags, ...p.context.repoDigests].some((t) => want.has(normalize(t))));
  const live = hits.filter((p) => p.state !== 'removed');
  return live.length > 0 ? live : hits.slice(0, 1);
}

/** A policy with whether it applies to this node, and what decided it (enabled, nodeSelector, constraints). */
export function policyItem(p: ImagePolicy, nodeLabels: Record<string, string>, nodeConstraints: readonly string[] = []) {
  const a = appliesToNode(p.spec, { labels: nodeLabels, constraints: nodeConstraints });
  return { ...p, status: { appliesToNode: a.matches, reason: a.reason, decidedBy: a.decidedBy } };
}

/** Rules and keeps that match one image, for `describe image`. */
export function explainImage(p: PersistedImage, policies: readonly ImagePolicy[]) {
  const c = compilePolicies([...policies]);
  const subject = { tags: p.context.tags, repoDigests: p.context.repoDigests, agentDownloaded: p.context.agentDownloaded };
  const rules = matchingRules(c, subject).map((r) => ({ rule: r.id, imageName: r.pattern.source, deleteAfter: r.deleteAfter, agentDownloadedOnly: r.agentDownloadedOnly }));
  const skipped = p.context.agentDownloaded ? [] : matchingRules(c, { ...subject, agentDownloaded: true }).filter((r) => r.agentDownloadedOnly).map((r) => ({ rule: r.id, why: 'agentDownloadedOnly: the agent did not download this image' }));
  const keeps = matchingKeeps(c, subject).map((k) => ({ keep: k.id, pattern: k.pattern.source }));
  return { rules, skipped, keeps };
}

export function oneImage(images: ReadonlyMap<string, PersistedImage>, ref: string): PersistedImage {
  const hits = resolveImage(images, ref);
  if (hits.length === 0) throw new HttpError(404, `image ${JSON.stringify(ref)} not found`);
  if (hits.length > 1) throw new HttpError(409, `image reference ${JSON.stringify(ref)} is ambiguous: it matches ${hits.length} images`);
  return hits[0]!;
}

/** What would be removed now and later, and by which rule, and for disk space: the pure planner, not acted on. */
export function planView(snap: LoopSnapshot, policies: readonly ImagePolicy[], ib: ImageBytes | null = null) {
  const now = snap.now;
  const unique = ib?.unique ?? null;
  const plan = previewPlan(snap, policies, now);
  if (!plan) return { now: new Date(now).toISOString(), items: [], disk: null };
  const items = [...plan.images.values()]
    .filter((p) => p.state !== 'removed')
    .map((p) => {
      const item = imageItem(p);
      const when = p.state === 'removable' ? 'now' : item.status.removeAt ? 'later' : 'never';
      return {
        image: p.context.id, tags: p.context.tags, state: p.state, when, rule: item.status.rule,
        removeAt: p.state === 'removable' ? new Date(now).toISOString() : item.status.removeAt,
        protectedBy: item.status.protectedBy, usedBy: item.status.usedBy, sizeBytes: p.context.sizeBytes,
        uniqueSizeBytes: unique?.get(p.context.id) ?? null, lastUsedAt: item.status.lastUsedAt,
      };
    })
    .sort((a, b) => (a.removeAt ?? '~').localeCompare(b.removeAt ?? '~'));
  return { now: new Date(now).toISOString(), items, disk: diskView(snap, budgetsOf(policies), plan.images, ib) };
}
