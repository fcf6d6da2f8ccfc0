/**
 * The chaos soak's short form (test/soak/, RELIABILITY.md): under a minute of a seeded schedule of
 * what users and the world do to a device (docker run, create, rm, tag, rmi by someone else,
 * pushes and pulls through the registry, imports, imagectl pull, policies with deleteAfter of
 * seconds applied and deleted) while the agent is SIGKILLed and restarted, dockerd restarted, the
 * registry stopped and the engine's data root (a tmpfs) filled, each at least once. The oracle
 * follows the engine's own event stream and judges every image delete the agent made.
 *
 * Since "Every use counts" (issue 11) it has what the full soak has: containers that live tens of
 * milliseconds and containers that come and go while the agent is down, each a use the oracle
 * counts. FAULT_SEED=<seed> replays a schedule; this file starts its own stack.
 */
import { describe, expect, it } from 'vitest';
import { faultSeed } from '../helpers/rng.js';
import { formatReport } from '../soak/report.js';
import { runSoak } from '../soak/run.js';
import { FAULT_KINDS } from '../soak/schedule.js';

describe('chaos soak, short form', () => {
  it('a minute of users, the world and faults on a real engine: the engine\'s own event log shows no removal in use, early or protected', async () => {
    const seed = faultSeed();
    console.log(`[soak] seed ${seed} (FAULT_SEED=${seed} replays it; npm run soak -- --seed ${seed} runs it longer)`);
    const r = await runSoak({ durationMs: 55_000, seed, unseenUses: true, faultGapMs: [5_000, 9_000], log: (s) => console.log(`[soak] ${s}`) });
    console.log(formatReport(r));
    expect(r.violations, `seed ${seed}`).toEqual([]);
    expect(r.finalState, `seed ${seed}: the agent's machines against the engine`).toEqual([]);
    expect(Object.keys(r.faults.byKind).sort(), `seed ${seed}: every kind of fault, injected and undone (${r.faults.errors.join('; ')})`).toEqual([...FAULT_KINDS].sort());
    expect(r.operations.done).toBeGreaterThan(30);
    expect(r.removals.byAgent, 'the agent removed images while all this went on').toBeGreaterThan(0);
    expect(r.engine.unseenDeletes, 'every delete reached the oracle through the event stream').toBe(0);
  }, 300_000);
});
