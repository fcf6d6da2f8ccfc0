/**
 * Pure helpers around the image machine: start one, restore one from its persisted form, and step
 * it with an event. Restoring never replays actions (the machine's actions are only assigns).
 */
import { createActor, initialTransition, type AnyActorScope } from 'xstate';
import { imageMachine, type ImageContext, type ImageEvent, type ImageInput, type ImageState } from './image.js';

/** What the store keeps per image: the state value and the context. */
export interface PersistedImage {
  state: ImageState;
  context: ImageContext;
}

export interface Step {
  next: PersistedImage;
  from: ImageState | null;
  to: ImageState;
  /** the state changed (an audit record is due) */
  transitioned: boolean;
}

export function startImage(input: ImageInput): PersistedImage {
  const [snap] = initialTransition(imageMachine, input);
  return { state: snap.value as ImageState, context: snap.context };
}

export function restore(p: PersistedImage) {
  return imageMachine.resolveState({ value: p.state, context: p.context });
}

/**
 * The scope a step runs in, made once. xstate's `transition()` makes a new actor (and its system)
 * for every call; the image machine's actions are all `assign`s, which run inside the step and
 * need nothing of the scope, so every step can share one inert scope. A pass that steps every
 * image (a policy changed) spent half of each step making that actor.
 */
let inert: AnyActorScope | null = null;
function scope(): AnyActorScope {
  if (inert) return inert;
  const self = createActor(imageMachine, { input: { id: '', now: 0, agentDownloaded: false, reason: '' } });
  const noop = () => undefined;
  inert = { self, id: '', sessionId: '', system: self.system, logger: noop, defer: noop, emit: noop, stopChild: noop, actionExecutor: noop };
  return inert;
}

export function stepImage(p: PersistedImage, event: ImageEvent): Step {
  const snap = imageMachine.transition(restore(p), event, scope());
  const to = snap.value as ImageState;
  return { next: { state: to, context: snap.context }, from: p.state, to, transitioned: to !== p.state };
}
