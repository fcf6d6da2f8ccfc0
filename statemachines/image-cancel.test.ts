import { describe, expect, it } from 'vitest';
import type { ObserveEvent } from './image.js';
import { startImage, stepImage } from './runtime.js';

const T0 = Date.UTC(2026, 0, 1);
const obs = (now: number): ObserveEvent => ({
  type: 'OBSERVE', now, present: true, tags: ['fixture/a:1'], repoDigests: [], sizeBytes: 10, usedBy: [], rule: { id: 'p/removal[0]', deleteAfterMs: 86_400_000, deleteAfter: '1d' }, protectedBy: null,
});

describe('image machine: a removal for space that its run no longer needs', () => {
  it('REMOVE_CANCELLED takes a removable image back to idle with the reason, its lastUsedAt untouched; it means nothing elsewhere', () => {
    const idle = stepImage(startImage({ id: 'sha256:aa', now: T0, agentDownloaded: false, reason: 'discovered' }), obs(T0)).next;
    const removable = stepImage(idle, { type: 'REMOVE_REQUESTED', now: T0 + 5, reason: 'disk pressure: /d 91% >= 85% (target 80%), least recently used; frees 1MB' }).next;
    const back = stepImage(removable, { type: 'REMOVE_CANCELLED', now: T0 + 6, reason: 'disk pressure: below the target before its turn; not removed' });
    expect([back.from, back.to]).toEqual(['removable', 'idle']);
    expect(back.next.context).toMatchObject({ reason: 'disk pressure: below the target before its turn; not removed', lastUsedAt: idle.context.lastUsedAt });
    expect(stepImage(idle, { type: 'REMOVE_CANCELLED', now: T0 + 7, reason: 'x' }).transitioned).toBe(false);
    // the next observation leaves it idle and not due
    expect(stepImage(back.next, obs(T0 + 8)).to).toBe('idle');
  });
});
