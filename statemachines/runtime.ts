/**
 * Pure helpers around the image machine: start one, restore one from its persisted form, and step
 * it with an event. Restoring never replays actions (the machine's actions are only assigns).
 */
import { initialTransition, transition } from 'xstate';
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

export function stepImage(p: PersistedImage, event: ImageEvent): Step {
  const [snap] = transition(imageMachine, restore(p), event);
  const to = snap.value as ImageState;
  return { next: { state: to, context: snap.context }, from: p.state, to, transitioned: to !== p.state };
}
