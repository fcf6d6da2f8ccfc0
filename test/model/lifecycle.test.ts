/**
 * Model-based property tests of the pure core: 10 000 generated sequences of what users and the
 * world do to a device (containers, tags, pulls and loads by the agent and by others, policies,
 * workloads, time, crashes at three points, the agent away, the engine restarting), each judged on
 * every plan by the properties in properties.ts and against its uninterrupted twin (sequence.ts).
 *
 * A failure prints the shrunk sequence and its seed; replay it with
 *   FC_SEED=<seed> FC_PATH=<path> npx vitest run --project unit test/model/lifecycle.test.ts
 * (FC_RUNS sets the number of sequences, 10 000 by default.)
 *
 * The mutants below are planners, shells and disk-pressure decisions with one deliberate bug each:
 * the properties must catch every one and shrink it to a short sequence, or they prove nothing.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { pressureGoal, pressureOrder, wouldRemove } from '../../controller/reconcile/pressure.js';
import { budgetsOf } from '../../crd/imagepolicy/disk-pressure.js';
import { realPlanner, type Planner } from './agent-sim.js';
import { sequenceArb } from './commands.js';
import { toManifest } from './judge.js';
import { pressureSeen, type PressureDecider } from './pressure.js';
import { runSequence, type RunOptions } from './sequence.js';

const RUNS = Number(process.env.FC_RUNS ?? 10_000);
const SEED = process.env.FC_SEED ? Number(process.env.FC_SEED) : undefined;
const PATH = process.env.FC_PATH;

function check(planner: Planner, runs: number, seed = SEED, path = PATH, shell?: RunOptions['shell'], pressure?: PressureDecider) {
  const o: RunOptions = { planner, shell, pressure };
  return fc.check(fc.property(sequenceArb, (cmds) => void runSequence(cmds, o)), { numRuns: runs, seed, path });
}

describe('the pure core against the model (fast-check)', () => {
  it(`keeps every property over ${RUNS} generated sequences`, () => {
    const out = check(realPlanner, RUNS);
    if (out.failed) {
      const replay = `replay: FC_SEED=${out.seed} FC_PATH=${out.counterexamplePath ?? ''} npx vitest run --project unit test/model/lifecycle.test.ts`;
      throw new Error(`${String(out.errorInstance)}\n${fc.defaultReportMessage(out)}\n${replay}`);
    }
    expect(out.numRuns).toBe(RUNS);
    console.log(`[model] disk pressure: ${pressureSeen.underPressure} plans under pressure, ${pressureSeen.removing} removing for space, ${pressureSeen.properPrefix} of them a proper prefix of the candidates`);
    // a replay of one path (FC_PATH) or a short hunt may draw no such plan; 1000 sequences draw some
    if (!PATH && RUNS >= 1_000) expect(pressureSeen.properPrefix, 'the LRU property judged plans that remove some candidates and leave others').toBeGreaterThan(0);
  }, 120_000);
});

/** A planner that does not see stopped containers (only running ones count as uses). */
const runningOnly: Planner = (input) => realPlanner({ ...input, observed: { ...input.observed, containers: input.observed.containers.filter((c) => c.state === 'running') } });
/** A planner with amnesia: every pass starts from no machines, so every countdown restarts. */
const amnesia: Planner = (input) => realPlanner({ ...input, persisted: new Map() });
/** A planner where the longest deleteAfter wins instead of the shortest. */
const longestWins: Planner = (input) => realPlanner({ ...input, policies: { rules: [...input.policies.rules].reverse(), keep: input.policies.keep } });
/** A planner that forgets `keep`. */
const noKeep: Planner = (input) => realPlanner({ ...input, policies: { rules: input.policies.rules, keep: [] } });
/** A planner deaf to the engine's container events (main's planner before "Every use counts"). */
const deaf: Planner = ({ uses: _u, unseen: _s, ...input }) => realPlanner(input);
/** A planner that drops the uses of an image it holds `removable` (a use between plan and delete is lost). */
const usesLostWhenRemovable: Planner = (input) => realPlanner({ ...input, uses: new Map([...(input.uses ?? [])].filter(([id]) => input.persisted.get(id)?.state !== 'removable')) });

describe('the properties catch planted bugs, and shrink them', () => {
  it.each([
    ['a created-only container does not count as a use', runningOnly],
    ['countdowns restart on every pass', amnesia],
    ['the longest deleteAfter wins', longestWins],
    ['keep is ignored', noKeep],
  ] as const)('%s', (_what, mutant) => {
    const out = check(mutant, 5_000, 42, undefined);
    expect(out.failed).toBe(true);
    const shrunk = out.counterexample![0];
    expect(shrunk.length).toBeLessThanOrEqual(8);
  }, 60_000);

  it('a planner deaf to container events misses short-lived containers and uses while the agent is away, when the world has them', () => {
    const out = check(deaf, 5_000, 42, undefined);
    expect(out.failed).toBe(true);
    expect(String(out.errorInstance)).toMatch(/before its due time|lastUsedAt earlier than the last use|removes exactly what is due|next due moment/);
    expect(out.counterexample![0].length).toBeLessThanOrEqual(8);
  }, 60_000);

  it.each([
    ['a planner that loses the uses of an image it holds removable', usesLostWhenRemovable, undefined, /before its due time/],
    ['a shell that deletes an image a container used since the plan', realPlanner, { usesSincePlan: false }, /deleted at the engine before its due time/],
    ['a shell that starts from the live stream, not from its stored cursor', realPlanner, { replay: false }, /before its due time|lastUsedAt earlier than the last use|removes exactly what is due|next due moment|restore from snapshots/],
    ['a shell that leaves an interrupted removal\'s tags off', realPlanner, { restoreTags: false }, /restore from snapshots equals the uninterrupted run/],
  ] as const)('%s', (_what, planner, shell, caught) => {
    const out = check(planner, 5_000, 42, undefined, shell);
    expect(out.failed).toBe(true);
    expect(String(out.errorInstance)).toMatch(caught);
    expect(out.counterexample![0].length).toBeLessThanOrEqual(8);
  }, 60_000);
});

/** Disk pressure composed as the agent composes it, with one step changed (`bend`). */
const pressureWith = (bend: { order?: (o: string[]) => string[]; minAge?: (ms: number) => number; extra?: boolean }): PressureDecider => ({ images, policies, usage, unique, now }) => {
  const goal = pressureGoal(budgetsOf(policies.map(toManifest)), usage);
  if (!goal) return [];
  const { order } = pressureOrder({ images, parents: new Map(), unique, now, minAgeMs: bend.minAge ? bend.minAge(goal.minAgeMs) : goal.minAgeMs });
  const out = wouldRemove(bend.order ? bend.order(order) : order, usage, goal, unique);
  const next = order.find((id) => !out.includes(id));
  return bend.extra && out.length && next ? [...out, next] : out;
};

describe('the disk-pressure property catches planted bugs, and shrinks them', () => {
  it.each([
    ['the most recently used go first', pressureWith({ order: (o) => [...o].reverse() })],
    ['minAge is ignored', pressureWith({ minAge: () => 0 })],
    ['the order is right but the goal is overshot by one', pressureWith({ order: (o) => o, extra: true })],
  ] as const)('%s', (what, decider) => {
    const out = check(realPlanner, 5_000, 42, undefined, undefined, decider);
    expect(out.failed).toBe(true);
    expect(String(out.errorInstance)).toMatch(/disk pressure picks only the least-recently-used prefix/);
    expect(out.counterexample![0].length).toBeLessThanOrEqual(8);
    console.log(`[model] planted "${what}": caught, shrunk to ${out.counterexample![0].length} commands: ${JSON.stringify(out.counterexample![0])}`);
  }, 60_000);
});
