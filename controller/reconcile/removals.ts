/**
 * The one path of a removal, whoever asked (a pass, or `imagectl rmi`): the images are already on
 * disk as `removable` (write-ahead); each goes through the safe removal executor, its outcome steps
 * its machine, the residual data of the removed ones goes, and the outcomes are committed in one
 * batch. One removal at a time (the engine serializes deletes; parallel ones are slower), but the
 * next request leaves as soon as the previous answer is in, and the bookkeeping of that answer runs
 * while the engine works on the next image.
 */
import { removeImageSafely, restoreMissing, type RemovalOutcome } from '../effects/remove.js';
import type { Observation } from '../engine/observation.js';
import { orphanedResidual, removeResidual } from '../effects/archives.js';
import { applyEvent, type PassPlan } from './plan.js';
import { tryCommit } from './conditions.js';
import type { PassDeps } from './options.js';
import { withChanges, type LoopState } from './state.js';

type Outcomes = Pick<PassPlan, 'images' | 'changed' | 'audit'>;

export interface RemovalResults {
  outcomes: Map<string, RemovalOutcome>;
  /** some removal failed in a way worth retrying */
  failed: boolean;
  /** residual files removed with the images */
  residual: string[];
}

export const REFUSED = 'removal refused by the engine (409) with no container using it';

/** What a terminal refusal waits for: the image's references as observed, the engine's images, the policies. */
export function refusalKey(s: LoopState, id: string): string {
  const images = s.lastObservation?.images ?? [];
  const img = images.find((i) => i.id === id);
  return JSON.stringify([img?.tags ?? [], img?.repoDigests ?? [], images.map((i) => i.id).sort().join(','), s.policiesKey]);
}

/** Forget the refusals whose image, engine images or policies changed since (they are retried), or that are moot. */
export function dropStaleRefusals(s: LoopState): void {
  if (s.refused.size === 0) return;
  const stale = [...s.refused].filter(([id, r]) => {
    const p = s.images.get(id);
    return !p || p.state === 'in-use' || p.state === 'removed' || refusalKey(s, id) !== r.key;
  });
  if (stale.length) s.refused = withChanges(s.refused, [], stale.map(([id]) => id));
}

/**
 * Remove `ids` (recorded `removable`), record and commit the outcomes; `actor` signs the audit
 * records. `byRule`: an image a container used since the plan is left for the next pass (it
 * counts from that use); a removal asked for by name goes ahead.
 */
export async function executeRemovals(d: PassDeps, s: LoopState, ids: readonly string[], actor: string, trigger: string, byRule = false): Promise<RemovalResults> {
  const out: Outcomes = { images: new Map(s.images), changed: new Map(), audit: [] };
  const res: RemovalResults = { outcomes: new Map(), failed: false, residual: [] };
  const start = async (id: string): Promise<RemovalOutcome | null> => {
    if (byRule) {
      await d.uses.settled();
      if (d.uses.usedSincePlan(id)) return null;
    }
    return removeImageSafely(d.docker, id, out.images.get(id)!.context.tags);
  };
  let next: Promise<RemovalOutcome | null> | null = d.stopped() || ids.length === 0 ? null : start(ids[0]!);
  for (let i = 0; next; i++) {
    const outcome = await next;
    const now = d.now();
    next = i + 1 < ids.length && !d.stopped() ? start(ids[i + 1]!) : null;
    if (!outcome) continue;
    res.outcomes.set(ids[i]!, outcome);
    res.failed = !recordRemoval(d, s, out, ids[i]!, outcome, now, actor) || res.failed;
  }
  const gone = out.audit.filter((a) => a.to === 'removed' && s.downloads.has(a.image)).map((a) => a.image);
  res.residual = orphanedResidual(s.downloads, gone);
  await removeResidual(d.archives, res.residual);
  // the engine changed whether or not this is written: memory follows the engine, and a restart
  // that finds the image gone records it as "found gone"
  await tryCommit(d, s, { putImages: out.changed, audit: out.audit, deleteDownloads: gone });
  s.downloads = withChanges(s.downloads, [], gone);
  s.images = out.images;
  for (const r of out.audit) d.log.info({ image: r.image, tags: r.tags, from: r.from, to: r.to, reason: r.reason, trigger }, 'transition');
  return res;
}

/**
 * A removal that a crash or the engine's going away interrupted: the write-ahead record
 * (`removable`) names the tags the image had; put back those it lacks. True when one was.
 */
export async function restoreInterrupted(d: PassDeps, s: LoopState, observed: Observation): Promise<boolean> {
  let restored = false;
  for (const img of observed.images) {
    const p = s.images.get(img.id);
    if (p?.state !== 'removable' || p.context.tags.every((t) => img.tags.includes(t))) continue;
    const back = await restoreMissing(d.docker, img.id, p.context.tags);
    if (back?.length) {
      d.log.warn({ image: img.id, tags: back }, 'an interrupted removal left the image without these tags: put back');
      restored = true;
    }
  }
  return restored;
}

/** Feed a removal's outcome to the machine. Returns false when it should be retried. */
function recordRemoval(d: PassDeps, s: LoopState, out: Outcomes, id: string, outcome: RemovalOutcome, now: number, actor: string): boolean {
  const current = out.images.get(id)!;
  switch (outcome.kind) {
    case 'removed': {
      const residual = orphanedResidual(s.downloads, [id]).length;
      const untagged = outcome.untagged.length ? ` after untagging ${outcome.untagged.join(', ')}` : '';
      const extra = residual ? ` with its residual data (${residual} cached archive${residual > 1 ? 's' : ''})` : '';
      applyEvent(out, current, { type: 'REMOVED', now, reason: `${current.context.reason}; removed ${outcome.deleted}${untagged}${extra}` }, actor);
      return true;
    }
    case 'gone':
      applyEvent(out, current, { type: 'REMOVED', now, reason: 'found gone before removal' }, actor);
      return true;
    case 'in-use':
      applyEvent(out, current, { type: 'REMOVE_FAILED', now, inUse: true, error: outcome.error, usedBy: outcome.usedBy, restored: outcome.restored }, actor);
      return true;
    case 'refused': {
      d.log.warn({ image: id, error: outcome.error }, 'the engine refused the removal and no container uses the image: not retried until the image, the engine\'s images or the policies change');
      applyEvent(out, current, { type: 'REMOVE_FAILED', now, inUse: false, error: outcome.error, restored: outcome.restored, terminal: REFUSED }, actor);
      s.refused = withChanges(s.refused, [[id, { key: refusalKey(s, id), protectedBy: REFUSED }]]);
      return true;
    }
    case 'failed':
      d.log.warn({ image: id, error: outcome.error }, 'removal failed; will retry');
      s.removalErrors++;
      applyEvent(out, current, { type: 'REMOVE_FAILED', now, inUse: false, error: outcome.error }, actor);
      return false;
  }
}
