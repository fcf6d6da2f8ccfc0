/**
 * The removals of one run for disk space, through the one removal path (removals.ts): each image is
 * recorded `removable` with its reason (write-ahead, committed before the engine is asked), removed
 * by the safe removal executor, and its answer fed to its machine; the outcomes are committed at
 * the end in one batch, with the residual data, as executeRemovals does. The caller decides each
 * next image after measuring the disk, so unlike executeRemovals the next delete cannot leave
 * before the answer is in; the bookkeeping of an answer runs while the engine works on the next.
 */
import type { AuditRecord } from '../../crd/api/audit.js';
import { removeImageSafely, type RemovalOutcome } from '../effects/remove.js';
import { tryCommit } from './conditions.js';
import type { PassDeps } from './options.js';
import { applyEvent } from './plan.js';
import { commitOutcomes, recordRemoval, type Outcomes, type RemovalResults } from './removals.js';
import { withChanges, type LoopState } from './state.js';

export class SpaceRemovals {
  private readonly out: Outcomes;
  private readonly res: RemovalResults = { outcomes: new Map(), failed: false, residual: [] };

  constructor(private readonly d: PassDeps, private readonly s: LoopState, private readonly trigger: string) {
    this.out = { images: new Map(s.images), changed: new Map(), audit: [] };
  }

  /** Record `id` `removable` for `reason` (write-ahead); false when the store took no write (nothing is removed then). */
  async writeAhead(id: string, reason: string): Promise<boolean> {
    const wa: Outcomes = { images: new Map(), changed: new Map(), audit: [] };
    const next = applyEvent(wa, this.out.images.get(id)!, { type: 'REMOVE_REQUESTED', now: this.d.now(), reason }, 'agent');
    if (!(await tryCommit(this.d, this.s, { putImages: wa.changed, audit: wa.audit }))) return false;
    this.out.images.set(id, next);
    this.s.images = withChanges(this.s.images, [[id, next]]);
    for (const r of wa.audit) this.d.log.info({ image: r.image, tags: r.tags, from: r.from, to: r.to, reason: r.reason, trigger: this.trigger }, 'transition');
    return true;
  }

  /** Ask the engine to remove `id` (written ahead). */
  send(id: string): Promise<RemovalOutcome> {
    return removeImageSafely(this.d.docker, id, this.out.images.get(id)!.context.tags);
  }

  /** `id` was written ahead and is not needed after all: back to idle (committed with the outcomes). */
  cancel(id: string, reason: string): void {
    applyEvent(this.out, this.out.images.get(id)!, { type: 'REMOVE_CANCELLED', now: this.d.now(), reason }, 'agent');
  }

  /** Feed the engine's answer (`now`: when it came) to the machine; `extra` goes into its audit records. */
  record(id: string, outcome: RemovalOutcome, now: number, extra?: Pick<AuditRecord, 'freedBytes'>): void {
    this.res.outcomes.set(id, outcome);
    const from = this.out.audit.length;
    this.res.failed = !recordRemoval(this.d, this.s, this.out, id, outcome, now, 'agent') || this.res.failed;
    if (extra) for (const r of this.out.audit.slice(from)) Object.assign(r, extra);
  }

  finish(): Promise<RemovalResults> {
    return commitOutcomes(this.d, this.s, this.out, this.res, this.trigger);
  }
}
