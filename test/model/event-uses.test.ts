/**
 * "Every use counts" (SPEC §2, issue 11) as fixed sequences through the same device, model and
 * properties as the generated ones: each one passes on the real core and shell, and fails, with
 * the property named, on the planted bug it is there to catch (else it would prove nothing).
 *
 * Times: the world starts at t+0 and every command takes 1 ms; a policy's first pass sees the image.
 */
import { describe, expect, it } from 'vitest';
import { realPlanner, type Planner } from './agent-sim.js';
import { idOf } from './catalog.js';
import type { Command } from './commands.js';
import { runSequence, type RunOptions } from './sequence.js';

const APP1 = 'localhost:5000/app:1'; // content 0 in the registry
const policy = (pattern: string, deleteAfter: string): Command => ({ t: 'apply', policy: { name: 'p0', rules: [{ pattern, deleteAfter, agentDownloadedOnly: false }], keep: [] } });
/** deaf to the engine's container events and to unseen history */
const deaf: Planner = ({ uses: _u, unseen: _s, ...input }) => realPlanner(input);
const lostWhenRemovable: Planner = (input) => realPlanner({ ...input, uses: new Map([...(input.uses ?? [])].filter(([id]) => input.persisted.get(id)?.state !== 'removable')) });

function run(cmds: Command[], o: Partial<RunOptions> = {}) {
  return runSequence(cmds, { planner: realPlanner, ...o });
}
const state = (cmds: Command[]) => run(cmds).agent.images.get(idOf(0));

describe('a container that lives between two lists counts as a use (seen only as an engine event)', () => {
  // first seen at t+2 (due t+5002); a container comes and goes at t+4004, between two passes
  const cmds: Command[] = [{ t: 'pull', ref: APP1, by: 'other' }, policy('localhost:5000/**', '5s'), { t: 'advance', ms: 4_000 }, { t: 'short', content: 0 }, { t: 'advance', ms: 1_000 }, { t: 'timer', early: false }];

  it('the image stays past the due time of its first sight, with lastUsedAt at the container\'s events', () => {
    const p = state(cmds);
    expect([p?.state, p?.context.lastUsedAt]).toEqual(['idle', 1_004_004]);
  });

  it('and goes deleteAfter after that use', () => {
    expect(state([...cmds, { t: 'timer', early: true }])?.state).toBe('idle');
    expect(state([...cmds, { t: 'timer', early: false }])?.state).toBe('removed');
  });

  it('a planner deaf to events removes it too early', () => {
    expect(() => run(cmds, { planner: deaf })).toThrow(/removed before its due time/);
  });
});

describe('the uses the agent missed are replayed from its stored cursor', () => {
  it('while it was away: a container that came and went before it started again', () => {
    // down at t+4004 for two commands; the container at t+4005; the agent starts at t+5006, past the first sight's due time (t+5002)
    const cmds: Command[] = [{ t: 'pull', ref: APP1, by: 'other' }, policy('localhost:5000/**', '5s'), { t: 'advance', ms: 4_000 }, { t: 'down', commands: 2 }, { t: 'short', content: 0 }, { t: 'advance', ms: 1_000 }];
    const p = state(cmds);
    expect([p?.state, p?.context.lastUsedAt]).toEqual(['idle', 1_004_005]);
    expect(() => run(cmds, { shell: { replay: false } })).toThrow(/removed before its due time/);
  });

  it('after a crash: the events after the last written cursor, which the crash took from memory', () => {
    const cmds: Command[] = [{ t: 'pull', ref: APP1, by: 'other' }, policy('localhost:5000/**', '5s'), { t: 'advance', ms: 4_000 }, { t: 'short', content: 0 }, { t: 'crash', point: 'between' }, { t: 'advance', ms: 1_000 }, { t: 'timer', early: false }];
    expect(state(cmds)?.context.lastUsedAt).toBe(1_004_004);
    expect(() => run(cmds, { shell: { replay: false } })).toThrow(/lastUsedAt earlier than the last use|restore from snapshots/);
  });

  it('after a crash between the plan and its removals: the image is removed once, on the restart\'s pass', () => {
    const cmds: Command[] = [{ t: 'pull', ref: APP1, by: 'other' }, policy('localhost:5000/**', '1s'), { t: 'advance', ms: 1_000 }, { t: 'crash', point: 'afterCommit' }];
    expect(state(cmds)?.state).toBe('removed');
  });

  it('when the engine restarted meanwhile, the history it lost counts as a use at the agent\'s start', () => {
    const cmds: Command[] = [{ t: 'pull', ref: APP1, by: 'other' }, policy('localhost:5000/**', '5s'), { t: 'advance', ms: 4_000 }, { t: 'down', commands: 3 }, { t: 'short', content: 0 }, { t: 'engineRestart' }, { t: 'advance', ms: 1_000 }];
    const p = state(cmds);
    expect([p?.state, p?.context.lastUsedAt]).toEqual(['idle', 1_005_007]);
    expect(() => run(cmds, { planner: deaf })).toThrow(/removed before its due time/);
  });
});

describe('a container that comes and goes while its image is being removed', () => {
  // due at t+1002; the timer's pass at t+1007 plans the removal, and a container comes and goes before the engine is asked
  const cmds: Command[] = [{ t: 'pull', ref: APP1, by: 'other' }, policy('localhost:5000/**', '1s'), { t: 'race', pick: 0 }, { t: 'pass' }];

  it('the removal waits, and the next pass counts from the use', () => {
    const p = state(cmds);
    expect([p?.state, p?.context.lastUsedAt]).toEqual(['idle', 1_001_007]);
    expect(state([...cmds, { t: 'advance', ms: 1_000 }, { t: 'timer', early: false }])?.state).toBe('removed');
  });

  it('a shell that goes ahead deletes it before its due time; a planner that drops the use of a removable image plans it again', () => {
    expect(() => run(cmds, { shell: { usesSincePlan: false } })).toThrow(/deleted at the engine before its due time/);
    expect(() => run(cmds, { planner: lostWhenRemovable })).toThrow(/removed before its due time/);
  });
});

describe('an interrupted removal puts back the tags it took', () => {
  // the rule matches only the tag the careful removal takes off first; the agent dies before the last delete
  const cmds: Command[] = [{ t: 'pull', ref: APP1, by: 'other' }, { t: 'tag', content: 0, ref: 'busybox:1' }, policy(APP1, '1s'), { t: 'advance', ms: 1_000 }, { t: 'crash', point: 'midRemove' }];

  it('the restart\'s pass finds the image with every tag, still due, and removes it, as the uninterrupted run did', () => {
    expect(state(cmds)?.state).toBe('removed');
  });

  it('without the tags put back, the rule no longer matches and the image stays, unlike the uninterrupted run', () => {
    expect(() => run(cmds, { shell: { restoreTags: false } })).toThrow(/restore from snapshots equals the uninterrupted run/);
  });
});
