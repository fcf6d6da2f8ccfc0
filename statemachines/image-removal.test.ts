import { describe, expect, it } from 'vitest';
import { removeAt, type ObserveEvent } from './image.js';
import { startImage, stepImage, type PersistedImage } from './runtime.js';

const T0 = Date.UTC(2026, 0, 1);
const rule = { id: 'p/removal[0]', deleteAfterMs: 1_000, deleteAfter: '1s' };
const obs = (now: number, o: Partial<ObserveEvent> = {}): ObserveEvent => ({
  type: 'OBSERVE', now, present: true, tags: ['fixture/a:1'], repoDigests: [], sizeBytes: 10, usedBy: [], rule, protectedBy: null, ...o,
});
const idle = (): PersistedImage => stepImage(startImage({ id: 'sha256:aa', now: T0, agentDownloaded: true, reason: 'pulled' }), obs(T0, { rule: null, protectedBy: 'no rule matches' })).next;

describe('image machine: removals asked for by name, and refused for good', () => {
  it('REMOVE_REQUESTED records an idle image removable (write-ahead for imagectl rmi); an unrequested next observation relaxes it', () => {
    const s = stepImage(idle(), { type: 'REMOVE_REQUESTED', now: T0 + 5, reason: 'requested by imagectl rmi a:1' });
    expect([s.from, s.to]).toEqual(['idle', 'removable']);
    expect(s.next.context.reason).toBe('requested by imagectl rmi a:1');
    const back = stepImage(s.next, obs(T0 + 10, { rule: null, protectedBy: 'no rule matches' }));
    expect(back.to).toBe('idle');
    expect(stepImage(s.next, { type: 'REMOVED', now: T0 + 6, reason: 'removed' }).to).toBe('removed');
  });

  it('REMOVE_REQUESTED does nothing to an image in use', () => {
    const used = stepImage(idle(), obs(T0 + 1, { usedBy: ['web'] })).next;
    expect(stepImage(used, { type: 'REMOVE_REQUESTED', now: T0 + 2, reason: 'x' }).transitioned).toBe(false);
  });

  it('a terminal REMOVE_FAILED sends a removable image back to idle, protected, with the error; a plain one leaves it removable', () => {
    const removable = stepImage(stepImage(idle(), obs(T0 + 1)).next, obs(T0 + 1_001)).next;
    expect(removable.state).toBe('removable');
    const plain = stepImage(removable, { type: 'REMOVE_FAILED', now: T0 + 1_002, inUse: false, error: 'engine down' });
    expect([plain.to, plain.next.context.lastError]).toEqual(['removable', 'engine down']);
    const final = stepImage(removable, { type: 'REMOVE_FAILED', now: T0 + 1_002, inUse: false, error: 'conflict (409): has dependent child images', terminal: 'refused', restored: ['fixture/a:1'] });
    expect([final.from, final.to]).toEqual(['removable', 'idle']);
    expect(final.next.context).toMatchObject({ protectedBy: 'refused', lastError: 'conflict (409): has dependent child images' });
    expect(final.next.context.reason).toBe('removal refused: conflict (409): has dependent child images; no container uses it, so it is not retried until something changes; tags restored (fixture/a:1), nothing forced');
    expect(removeAt(final.next.context)).toBeNull();
    // still protected by the planner: it stays idle; protection lifted: due again
    expect(stepImage(final.next, obs(T0 + 5_000, { protectedBy: 'refused' })).to).toBe('idle');
    expect(stepImage(final.next, obs(T0 + 5_000)).to).toBe('removable');
  });
});

describe('image machine: uses the lists did not show', () => {
  const used = (now: number, at: number) => ({ type: 'USED' as const, now, at, reason: `used at ${at}` });

  it('an idle image used later counts from that use; an older use changes nothing', () => {
    const p = stepImage(idle(), obs(T0 + 10)).next;
    const s = stepImage(p, used(T0 + 500, T0 + 400));
    expect([s.to, s.transitioned, s.next.context.lastUsedAt, s.next.context.reason]).toEqual(['idle', false, T0 + 400, `used at ${T0 + 400}`]);
    expect(removeAt(s.next.context)).toBe(T0 + 400 + 1_000);
    expect(stepImage(s.next, used(T0 + 600, T0 + 300)).next).toEqual(s.next);
  });

  it('a removable image used since goes back to idle; in-use and removed images ignore it', () => {
    const removable = stepImage(stepImage(idle(), obs(T0 + 1)).next, obs(T0 + 1_001)).next;
    const s = stepImage(removable, used(T0 + 1_002, T0 + 1_001));
    expect([s.from, s.to, s.next.context.lastUsedAt]).toEqual(['removable', 'idle', T0 + 1_001]);
    const inUse = stepImage(idle(), obs(T0 + 1, { usedBy: ['web'] })).next;
    expect(stepImage(inUse, used(T0 + 2, T0 + 2)).next).toEqual(inUse);
    const removed = stepImage(removable, { type: 'REMOVED', now: T0 + 1_002, reason: 'x' }).next;
    expect(stepImage(removed, used(T0 + 2_000, T0 + 1_999)).next).toEqual(removed);
  });
});
