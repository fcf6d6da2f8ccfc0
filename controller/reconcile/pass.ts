/**
 * One reconcile pass. It re-reads what it needs (the engine; the desired state and the machines are
 * the reconciler's current state), converges the Workloads, plans with the pure planner, commits the
 * plan's snapshots and audit records in one atomic batch (write-ahead: an image is recorded
 * `removable` before anything is deleted), then removes through the one removal path.
 *
 * It returns when to run again (`requeueAfter`: the next due removal), or throws a PassError, which
 * the loop retries with backoff: the engine did not answer, the store took no write (safe mode), a
 * removal failed in a way worth retrying. A removal the engine refuses for good is not an error: it
 * is recorded, and not retried until something changes.
 *
 * Safe mode: when the store does not take a write (disk full, read-only), the agent keeps serving
 * and observing but removes nothing and acts on no workload, and it does not advance the machines
 * it could not persist; every pass probes the store and leaves safe mode once a write succeeds.
 */
import { compilePolicies } from '../../crd/imagepolicy/match.js';
import { errorText, observe } from '../engine/docker.js';
import type { Observation } from '../engine/observation.js';
import { checkSkew, engineBack, engineLost, noteDanglingContainers, probeStore, tryCommit } from './conditions.js';
import { PassError, type PassResult } from './loop.js';
import type { PassDeps } from './options.js';
import { planPass, type PassPlan } from './plan.js';
import { workloadProtection } from './protection.js';
import { dropStaleRefusals, executeRemovals, restoreInterrupted } from './removals.js';
import type { LoopState } from './state.js';
import type { EventCursor } from '../store/store.js';
import type { UseLog } from './uses.js';
import { noteWorkloadResults, reconcileWorkloads } from './workload-pass.js';

/** a little past the due moment, so that `now >= due` holds in the pass it triggers */
const DUE_SLACK_MS = 5;
const NOT_LISTENING = 'the engine\'s event stream is not connected (or its history not replayed yet): nothing is decided until it is';

export async function runPass(d: PassDeps, s: LoopState, reason: string): Promise<PassResult> {
  const started = d.now();
  const finish = (error: string | null) => {
    s.lastPass = { at: new Date(started).toISOString(), durationMs: d.now() - started, error };
    d.onPass?.(s.lastPass);
  };
  checkSkew(d, s);
  await probeStore(d, s);
  let observed = await observeWorkloads(d, s, finish);
  d.uses.learn(observed);
  if (!(await d.history())) {
    // nothing is decided before the uses while the agent was not listening are known
    finish(NOT_LISTENING);
    throw new PassError(NOT_LISTENING);
  }
  if (await restoreInterrupted(d, s, observed)) observed = await observe(d.docker);
  s.lastObservation = observed;
  noteDanglingContainers(d, s, observed);
  dropStaleRefusals(s);
  await d.uses.settled();
  const uses = d.uses.drain();
  const plan = planFor(d, s, observed, uses);
  if (!(await commitPlan(d, s, plan, uses.cursor))) {
    // the machines stay as last written; nothing is removed on the strength of unwritten state
    d.uses.putBack(uses);
    finish(`safe mode: ${s.safeMode?.reason ?? ''}`);
    s.nextDueAt = null;
    throw new PassError(`safe mode: ${s.safeMode?.reason ?? ''}`, null);
  }
  for (const r of plan.audit) d.log.info({ image: r.image, tags: r.tags, from: r.from, to: r.to, reason: r.reason, trigger: reason }, 'transition');
  const removals = plan.remove.length > 0 ? await executeRemovals(d, s, plan.remove, 'agent', reason, true) : null;
  s.passes++;
  finish(s.safeMode ? `safe mode: ${s.safeMode.reason}` : null);
  s.nextDueAt = s.safeMode ? null : plan.nextDueAt;
  const requeueAfter = s.nextDueAt === null ? null : Math.max(0, s.nextDueAt - d.now()) + DUE_SLACK_MS;
  if (s.safeMode) throw new PassError(`safe mode: ${s.safeMode.reason}`, requeueAfter);
  if (removals?.failed) throw new PassError('a removal failed', requeueAfter);
  return { requeueAfter };
}

/** Observe the engine and converge the Workloads (not in safe mode); a lost engine ends the pass. */
async function observeWorkloads(d: PassDeps, s: LoopState, finish: (error: string) => void): Promise<Observation> {
  let observed: Observation;
  try {
    observed = await observe(d.docker);
  } catch (err) {
    engineLost(d, s, err);
    finish(errorText(err));
    throw new PassError(errorText(err));
  }
  engineBack(d, s);
  if (s.safeMode) return observed;
  try {
    const wl = await reconcileWorkloads(d, s, observed);
    if (wl.touched) observed = await observe(d.docker);
    noteWorkloadResults(s, wl);
  } catch (err) {
    engineLost(d, s, err);
    throw new PassError(errorText(err));
  }
  return observed;
}

function planFor(d: PassDeps, s: LoopState, observed: Observation, drained: ReturnType<UseLog['drain']>): PassPlan {
  const protection = workloadProtection(s.workloads, s.statuses);
  // the engine's times, on the agent clock (they differ by the wall clock's drift since the agent started)
  const skew = Date.now() - d.now();
  const uses = new Map([...drained.uses].map(([id, u]) => [id, { at: u.at - skew, reason: u.reason }]));
  const iso = (ms: number) => new Date(ms).toISOString();
  const unseen = drained.gap ? { at: drained.gap.until - skew, reason: `events since ${iso(drained.gap.since)} unavailable: counted as used at ${iso(drained.gap.until)}` } : undefined;
  return planPass({
    policies: compilePolicies(s.selected),
    observed,
    persisted: s.images,
    downloads: s.downloads,
    workloadRefs: protection.refs,
    workloadIds: protection.ids,
    arriving: s.arriving,
    refused: s.refused,
    uses,
    unseen,
    now: d.now(),
  });
}

/** Write ahead: the plan (every `-> removable` among it) is on disk before anything is deleted, with the event cursor its uses reach. */
async function commitPlan(d: PassDeps, s: LoopState, plan: PassPlan, cursor: EventCursor | null): Promise<boolean> {
  const u = s.unwritten;
  const c = s.committedCursor;
  const newCursor = cursor && (cursor.timeNano !== c?.timeNano || cursor.key !== c.key || !!cursor.engineGone !== !!c.engineGone) ? cursor : undefined;
  const ok = await tryCommit(d, s, {
    putImages: plan.changed, audit: plan.audit,
    putDownloads: [...u.downloads], putStatuses: [...u.statuses], deleteStatuses: [...u.deleted],
    eventCursor: newCursor,
  });
  if (!ok) return false;
  if (newCursor) s.committedCursor = newCursor;
  s.unwritten = { downloads: new Map(), statuses: new Map(), deleted: new Set() };
  s.images = plan.images;
  return true;
}
