/**
 * The conditions a pass keeps track of besides the images: whether the engine answers, whether the
 * store takes writes (safe mode), whether the wall clock left the agent clock, and containers whose
 * image is gone.
 */
import { errorText } from '../engine/docker.js';
import type { Observation } from '../engine/observation.js';
import type { Commit } from '../store/store.js';
import type { PassDeps } from './options.js';
import type { LoopState } from './state.js';

/** a wall clock this far from the agent clock is logged (the countdowns keep monotonic time) */
const SKEW_WARN_MS = 2_000;

/** Commit, or enter safe mode when the store refuses the write. */
export async function tryCommit(d: PassDeps, s: LoopState, c: Commit): Promise<boolean> {
  try {
    await d.store.commit(c);
    return true;
  } catch (err) {
    enterSafeMode(d, s, err);
    return false;
  }
}

function enterSafeMode(d: PassDeps, s: LoopState, err: unknown): void {
  const reason = `the store in ${d.store.dir} does not take writes: ${errorText(err)}`;
  if (!s.safeMode) d.log.error({ error: errorText(err) }, `safe mode: ${reason}; nothing is removed until it does`);
  s.safeMode = { since: new Date(d.now()).toISOString(), reason };
}

/** In safe mode: does the store take a write again? */
export async function probeStore(d: PassDeps, s: LoopState): Promise<void> {
  if (!s.safeMode) return;
  try {
    await d.store.probeWrite(d.now());
    d.log.info({ since: s.safeMode.since }, 'the store takes writes again: leaving safe mode');
    s.safeMode = null;
  } catch (err) {
    enterSafeMode(d, s, err);
  }
}

export function engineLost(d: PassDeps, s: LoopState, err: unknown): void {
  if (s.engine.reachable || s.engine.error === 'not contacted yet') d.log.error({ error: errorText(err) }, 'lost the Docker engine');
  if (s.engine.reachable || s.engine.error !== errorText(err)) {
    s.engine = { reachable: false, error: errorText(err), since: new Date(d.now()).toISOString() };
  }
}

export function engineBack(d: PassDeps, s: LoopState): void {
  if (s.engine.reachable) return;
  s.engine = { reachable: true, error: null, since: new Date(d.now()).toISOString() };
  d.disk?.forget(); // the engine may have come back with another data root
  d.log.info({}, 'connected to the Docker engine');
}

/** Log (once per jump) a wall clock that left the agent clock. */
export function checkSkew(d: PassDeps, s: LoopState): void {
  const skew = Date.now() - d.now();
  if (Math.abs(skew) < SKEW_WARN_MS) {
    s.skewLogged = false;
    return;
  }
  if (s.skewLogged) return;
  s.skewLogged = true;
  d.log.warn({ skewMs: skew }, `the wall clock is ${Math.round(skew / 1000)} s ${skew > 0 ? 'ahead of' : 'behind'} the agent clock; countdowns keep monotonic time until the next agent start`);
}

/**
 * Log (once each) containers whose image is gone. dockerd has its own race: a container being
 * created while an unforced delete of its image runs can be registered after the delete.
 */
export function noteDanglingContainers(d: PassDeps, s: LoopState, observed: Observation): void {
  const present = new Set(observed.images.map((i) => i.id));
  for (const c of observed.containers) {
    if (present.has(c.imageId) || s.dangling.has(c.id)) continue;
    s.dangling.add(c.id);
    const removed = s.images.get(c.imageId);
    d.log.warn({ container: c.name, image: c.imageId, removedAt: removed?.context.removedAt ? new Date(removed.context.removedAt).toISOString() : null }, 'a container references an image that is gone (created while the engine deleted it)');
  }
}
