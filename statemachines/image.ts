/**
 * The lifecycle of one image on the device: downloaded → in-use ⇄ idle → removable → removed.
 *
 * Pure: time arrives as event data (`now`, ms since the epoch) and deadlines live in context, so a
 * persisted snapshot restores exactly (XState `after` timers would not survive it, xstate#5331).
 * The machine never reads a clock and never calls Docker: the controller feeds it observations and
 * the outcome of removals, and removes images whose machine is in `removable`.
 */
import { assign, setup } from 'xstate';
import { formatDuration } from '../crd/fields/duration.js';
import { sameList } from '../crd/fields/lists.js';

export type ImageState = 'downloaded' | 'in-use' | 'idle' | 'removable' | 'removed';

/** The removal rule that won for this image, as the controller evaluated it. */
export interface RuleVerdict {
  /** `policy/removal[index]` */
  id: string;
  deleteAfterMs: number;
  /** the duration as the manifest wrote it, e.g. `30m` */
  deleteAfter: string;
}

export interface ImageContext {
  id: string;
  tags: string[];
  repoDigests: string[];
  sizeBytes: number;
  agentDownloaded: boolean;
  /** when the agent pulled or loaded it (ms), or null */
  downloadedAt: number | null;
  firstSeenAt: number;
  /** the moment it was first seen unused (ms); null while in use */
  lastUsedAt: number | null;
  rule: string | null;
  deleteAfterMs: number | null;
  /** what keeps it: `keep …`, `workload …`, `no rule matches`; null when a rule may remove it */
  protectedBy: string | null;
  /** containers that used it when last seen in use */
  usedBy: string[];
  removedAt: number | null;
  /** the last removal error that did not change the state */
  lastError: string | null;
  /** why the last transition happened */
  reason: string;
}

export interface ImageInput {
  id: string;
  now: number;
  agentDownloaded: boolean;
  downloadedAt?: number | null;
  /** why the machine was created: `discovered`, `pulled`, … */
  reason: string;
}

export interface ObserveEvent {
  type: 'OBSERVE';
  now: number;
  present: boolean;
  tags: string[];
  repoDigests: string[];
  sizeBytes: number;
  /** names of the containers (running or not, anyone's) that reference the image */
  usedBy: string[];
  rule: RuleVerdict | null;
  protectedBy: string | null;
  agentDownloaded?: boolean;
  downloadedAt?: number | null;
}
export interface RemovedEvent {
  type: 'REMOVED';
  now: number;
  reason: string;
}
export interface RemoveFailedEvent {
  type: 'REMOVE_FAILED';
  now: number;
  /** true when the engine said a container uses it (409) */
  inUse: boolean;
  error: string;
  usedBy?: string[];
  /** tags the executor removed and put back after the refusal */
  restored?: string[];
  /** refused (409) with no container using it: not retried while nothing changes; back to idle, protected by this */
  terminal?: string;
}
/** A removal asked for by name (imagectl rmi): recorded `removable` before the engine is asked. */
export interface RemoveRequestedEvent {
  type: 'REMOVE_REQUESTED';
  now: number;
  reason: string;
}
/** A container referenced the image at `at` (an engine event), seen in a list or not; or `at` ends history that could not be seen. */
export interface UsedEvent {
  type: 'USED';
  now: number;
  at: number;
  reason: string;
}
export type ImageEvent = ObserveEvent | RemovedEvent | RemoveFailedEvent | RemoveRequestedEvent | UsedEvent;

/** Idle long enough under a rule, and not protected. */
export function isDue(ctx: Pick<ImageContext, 'lastUsedAt'>, ev: Pick<ObserveEvent, 'now' | 'rule' | 'protectedBy'>): boolean {
  return ev.rule !== null && ev.protectedBy === null && ctx.lastUsedAt !== null && ev.now >= ctx.lastUsedAt + ev.rule.deleteAfterMs;
}

/** When the image becomes removable, or null when nothing will remove it. */
export function removeAt(ctx: ImageContext): number | null {
  if (ctx.rule === null || ctx.protectedBy !== null || ctx.lastUsedAt === null || ctx.deleteAfterMs === null) return null;
  return ctx.lastUsedAt + ctx.deleteAfterMs;
}

/**
 * True when OBSERVE `ev` would leave this machine exactly as it is: an idle image still unused and
 * not due, or an in-use image used by the same containers, with every observed field unchanged.
 * Such a step only re-assigns equal values, and it is what a steady-state pass is made of, so the
 * planner skips the machine for it (stepping costs tens of µs per image). Checked against the
 * machine by statemachines/image.test.ts.
 */
export function observeChangesNothing(state: ImageState, c: ImageContext, ev: ObserveEvent): boolean {
  if (!ev.present || (state !== 'idle' && state !== 'in-use')) return false;
  if (!sameList(c.tags, ev.tags) || !sameList(c.repoDigests, ev.repoDigests) || c.sizeBytes !== ev.sizeBytes) return false;
  if (c.rule !== (ev.rule?.id ?? null) || c.deleteAfterMs !== (ev.rule?.deleteAfterMs ?? null) || c.protectedBy !== ev.protectedBy) return false;
  if (ev.agentDownloaded && (!c.agentDownloaded || c.downloadedAt !== (ev.downloadedAt ?? null))) return false;
  if (state === 'in-use') return ev.usedBy.length > 0 && sameList(c.usedBy, ev.usedBy);
  return ev.usedBy.length === 0 && !isDue(c, ev);
}

const observed = (ev: ObserveEvent) => ({
  tags: ev.tags,
  repoDigests: ev.repoDigests,
  sizeBytes: ev.sizeBytes,
  rule: ev.rule?.id ?? null,
  deleteAfterMs: ev.rule?.deleteAfterMs ?? null,
  protectedBy: ev.protectedBy,
  ...(ev.agentDownloaded ? { agentDownloaded: true, downloadedAt: ev.downloadedAt ?? null } : {}),
});

const usedReason = (usedBy: string[]) =>
  usedBy.length === 0 ? 'used by a container' : `used by container${usedBy.length > 1 ? 's' : ''} ${usedBy.slice(0, 3).join(', ')}${usedBy.length > 3 ? ', …' : ''}`;

export const imageMachine = setup({
  types: {
    context: {} as ImageContext,
    events: {} as ImageEvent,
    input: {} as ImageInput,
  },
  guards: {
    gone: ({ event }) => event.type === 'OBSERVE' && !event.present,
    used: ({ event }) => event.type === 'OBSERVE' && event.usedBy.length > 0,
    due: ({ context, event }) => event.type === 'OBSERVE' && isDue(context, event),
    notDue: ({ context, event }) => event.type === 'OBSERVE' && !isDue(context, event),
    refusedInUse: ({ event }) => event.type === 'REMOVE_FAILED' && event.inUse,
    refusedForGood: ({ event }) => event.type === 'REMOVE_FAILED' && !event.inUse && event.terminal !== undefined,
    usedLater: ({ context, event }) => event.type === 'USED' && context.lastUsedAt !== null && event.at > context.lastUsedAt,
  },
  actions: {
    track: assign(({ event }) => (event.type === 'OBSERVE' ? observed(event) : {})),
    markGone: assign(({ event }) => ({
      removedAt: event.now,
      usedBy: [],
      reason: 'found gone: the image disappeared from the engine',
    })),
    markUsed: assign(({ event }) => {
      const usedBy = event.type === 'OBSERVE' ? event.usedBy : event.type === 'REMOVE_FAILED' ? (event.usedBy ?? []) : [];
      return {
        ...(event.type === 'OBSERVE' ? observed(event) : {}),
        usedBy,
        lastUsedAt: null,
        removedAt: null,
        reason:
          event.type === 'REMOVE_FAILED'
            ? `removal refused: ${event.error}; ${event.restored?.length ? `tags restored (${event.restored.join(', ')})` : 'no tag was lost'}, nothing forced`
            : usedReason(usedBy),
      };
    }),
    markUnused: assign(({ event, context }) => ({
      ...(event.type === 'OBSERVE' ? observed(event) : {}),
      usedBy: [],
      lastUsedAt: event.now,
      removedAt: null,
      reason: context.removedAt !== null ? 'reappeared, no container uses it' : 'no container uses it',
    })),
    markRemovable: assign(({ event, context }) => {
      if (event.type !== 'OBSERVE' || event.rule === null || context.lastUsedAt === null) return {};
      const idle = event.now - context.lastUsedAt;
      return {
        ...observed(event),
        lastError: null,
        reason: `rule ${event.rule.id}: idle ${formatDuration(idle)} >= ${event.rule.deleteAfter}`,
      };
    }),
    markRelaxed: assign(({ event }) => {
      if (event.type !== 'OBSERVE') return {};
      const why = event.protectedBy ? `protected: ${event.protectedBy}` : event.rule ? `rule ${event.rule.id} no longer due` : 'no rule matches any more';
      return { ...observed(event), reason: why };
    }),
    markRemoved: assign(({ event }) => ({
      removedAt: event.now,
      reason: event.type === 'REMOVED' ? event.reason : 'removed',
    })),
    noteError: assign(({ event }) => (event.type === 'REMOVE_FAILED' ? { lastError: event.error } : {})),
    markRefused: assign(({ event }) => (event.type === 'REMOVE_FAILED' ? {
      lastError: event.error,
      protectedBy: event.terminal ?? null,
      reason: `removal refused: ${event.error}; no container uses it, so it is not retried until something changes${event.restored?.length ? `; tags restored (${event.restored.join(', ')})` : ''}, nothing forced`,
    } : {})),
    markUsedAt: assign(({ event }) => (event.type === 'USED' ? { lastUsedAt: event.at, reason: event.reason } : {})),
    markRequested: assign(({ event }) => (event.type === 'REMOVE_REQUESTED' ? { reason: event.reason, lastError: null } : {})),
  },
}).createMachine({
  id: 'image',
  initial: 'downloaded',
  // XState's pure `transition()` builds a throwaway actor without input on every call: answer it
  // with an empty context instead of throwing (the restored snapshot's context is what counts)
  context: ({ input }) => (input === undefined ? ({} as ImageContext) : {
    id: input.id,
    tags: [],
    repoDigests: [],
    sizeBytes: 0,
    agentDownloaded: input.agentDownloaded,
    downloadedAt: input.downloadedAt ?? null,
    firstSeenAt: input.now,
    lastUsedAt: null,
    rule: null,
    deleteAfterMs: null,
    protectedBy: null,
    usedBy: [],
    removedAt: null,
    lastError: null,
    reason: input.reason,
  }),
  states: {
    downloaded: {
      on: {
        OBSERVE: [
          { guard: 'gone', target: 'removed', actions: 'markGone' },
          { guard: 'used', target: 'in-use', actions: 'markUsed' },
          { target: 'idle', actions: 'markUnused' },
        ],
        REMOVED: { target: 'removed', actions: 'markRemoved' },
        REMOVE_REQUESTED: { target: 'removable', actions: 'markRequested' },
      },
    },
    'in-use': {
      on: {
        OBSERVE: [
          { guard: 'gone', target: 'removed', actions: 'markGone' },
          { guard: 'used', actions: ['track', assign(({ event }) => (event.type === 'OBSERVE' ? { usedBy: event.usedBy } : {}))] },
          { target: 'idle', actions: 'markUnused' },
        ],
      },
    },
    idle: {
      on: {
        OBSERVE: [
          { guard: 'gone', target: 'removed', actions: 'markGone' },
          { guard: 'used', target: 'in-use', actions: 'markUsed' },
          { guard: 'due', target: 'removable', actions: 'markRemovable' },
          { actions: 'track' },
        ],
        // removed on request (imagectl rmi) before any rule made it removable
        REMOVED: { target: 'removed', actions: 'markRemoved' },
        REMOVE_REQUESTED: { target: 'removable', actions: 'markRequested' },
        USED: { guard: 'usedLater', actions: 'markUsedAt' },
      },
    },
    removable: {
      on: {
        OBSERVE: [
          { guard: 'gone', target: 'removed', actions: 'markGone' },
          { guard: 'used', target: 'in-use', actions: 'markUsed' },
          { guard: 'notDue', target: 'idle', actions: 'markRelaxed' },
          { actions: 'track' },
        ],
        REMOVED: { target: 'removed', actions: 'markRemoved' },
        REMOVE_FAILED: [
          { guard: 'refusedInUse', target: 'in-use', actions: 'markUsed' },
          { guard: 'refusedForGood', target: 'idle', actions: 'markRefused' },
          { actions: 'noteError' },
        ],
        REMOVE_REQUESTED: { actions: 'markRequested' },
        USED: { guard: 'usedLater', target: 'idle', actions: 'markUsedAt' },
      },
    },
    removed: {
      on: {
        OBSERVE: [
          { guard: 'gone' },
          { guard: 'used', target: 'in-use', actions: 'markUsed' },
          { target: 'idle', actions: 'markUnused' },
        ],
      },
    },
  },
});
