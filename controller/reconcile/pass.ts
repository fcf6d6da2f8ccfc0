/**
 * One reconcile pass. It re-reads what it needs (the engine; the desired state and the machines are
 * the reconciler's current state), converges the Workloads, plans with the pure planner, commits the
 * plan's snapshots and audit records in one atomic batch (write-ahead: an image is recorded
 * `removable` before anything is deleted), then removes through the one removal path; last, it
 * measures the disk budgets and removes for space under pressure (pressure-pass.ts).
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
import { relievePressure } from './pressure-pass.js';
import { workloadProtection } from './protection.js';
import { dropStaleRefusals, executeRemovals } from './removals.js';
import type { LoopState } from './state.js';
import { noteWorkloadResults, reconcileWorkloads } from './workload-pass.js';

/** a little past the due moment, so that `now >= due` holds in the pass it triggers */
const DUE_SLACK_MS = 5;

export async function runPass(d: PassDeps, s: LoopState, reason: string): Promise<PassResult> {
  const started = d.now();
  const finish = (error: string | null) => {
    s.lastPass = { at: new Date(started).toISOString(), durationMs: d.now() - started, error };
  };
  checkSkew(d, s);
  await probeStore(d, s);
  const observed = await observeWorkloads(d, s, finish);
  s.lastObservation = observed;
  noteDanglingContainers(d, s, observed);
  dropStaleRefusals(s);
  const plan = planFor(d, s, observed);
  if (!(await commitPlan(d, s, plan))) {
    // the machines stay as last written; nothing is removed on the strength of unwritten state
    finish(`safe mode: ${s.safeMode?.reason ?? ''}`);
    s.nextDueAt = null;
    throw new PassError(`safe mode: ${s.safeMode?.reason ?? ''}`, null);
  }
  for (const r of plan.audit) d.log.info({ image: r.image, tags: r.tags, from: r.from, to: r.to, reason: r.reason, trigger: reason }, 'transition');
  const removals = plan.remove.length > 0 ? await executeRemovals(d, s, plan.remove, 'agent', reason) : null;
  // disk pressure: measured every pass (one statfs), acted on through the same removal path
  const pressure = await relievePressure(d, s, reason);
  s.passes++;
  finish(s.safeMode ? `safe mode: ${s.safeMode.reason}` : null);
  s.nextDueAt = s.safeMode ? null : plan.nextDueAt;
  const requeueAfter = s.nextDueAt === null ? null : Math.max(0, s.nextDueAt - d.now()) + DUE_SLACK_MS;
  if (s.safeMode) throw new PassError(`safe mode: ${s.safeMode.reason}`, requeueAfter);
  if (removals?.failed || pressure.failed) throw new PassError('a removal failed', requeueAfter);
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

function planFor(d: PassDeps, s: LoopState, observed: Observation): PassPlan {
  const protection = workloadProtection(s.workloads, s.statuses);
  return planPass({
    policies: compilePolicies(s.selected),
    observed,
    persisted: s.images,
    downloads: s.downloads,
    workloadRefs: protection.refs,
    workloadIds: protection.ids,
    arriving: s.arriving,
    refused: s.refused,
    now: d.now(),
  });
}

/** Write ahead: the plan (every `-> removable` among it) is on disk before anything is deleted. */
async function commitPlan(d: PassDeps, s: LoopState, plan: PassPlan): Promise<boolean> {
  const u = s.unwritten;
  const ok = await tryCommit(d, s, {
    putImages: plan.changed, audit: plan.audit,
    putDownloads: [...u.downloads], putStatuses: [...u.statuses], deleteStatuses: [...u.deleted],
  });
  if (!ok) return false;
  s.unwritten = { downloads: new Map(), statuses: new Map(), deleted: new Set() };
  s.images = plan.images;
  return true;
}
