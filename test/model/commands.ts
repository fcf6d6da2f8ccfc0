/**
 * What users and the world do to a device, as data (so that fast-check prints a failing sequence
 * as it is, shrinks it by dropping and simplifying commands, and replays it from its seed).
 */
import fc from 'fast-check';
import type { CrashPoint } from './agent-sim.js';
import { CONTENTS, DURATIONS, PATTERNS, PULLABLE, REFS, REGISTRY } from './catalog.js';
import type { ModelDisk, ModelPolicy } from './judge.js';

export type Command =
  /** `docker run` (running) or `docker create` (created only) on an image that is there */
  | { t: 'run'; content: number; running: boolean }
  /** a container that lives only between two observations (tens of ms) */
  | { t: 'short'; content: number }
  /** `docker rm` of one of the containers (picked modulo their number) */
  | { t: 'rm'; pick: number }
  | { t: 'tag'; content: number; ref: string }
  /** someone else's `docker rmi REF` (an untag, or the delete of its last reference) */
  | { t: 'rmi'; ref: string }
  /** someone else's `docker rmi ID` */
  | { t: 'rmiId'; content: number }
  /** a pull through the agent (`imagectl pull`) or by someone else (`docker pull`) */
  | { t: 'pull'; ref: string; by: 'agent' | 'other' }
  /** a load of an archive holding `content` as `ref`, through the agent or by someone else */
  | { t: 'load'; ref: string; content: number; by: 'agent' | 'other' }
  /** a push to the registry: `ref` now names `content` there */
  | { t: 'push'; ref: string; content: number }
  | { t: 'apply'; policy: ModelPolicy }
  | { t: 'delete'; name: string }
  /** the one Workload's image (null: the workload is deleted) */
  | { t: 'workload'; ref: string | null }
  | { t: 'advance'; ms: number }
  /** a pass (an engine event, a resync) */
  | { t: 'pass' }
  /** the due timer's pass, during whose removals a container comes and goes on one of the images it removes (picked modulo their number) */
  | { t: 'race'; pick: number }
  /** the due timer fires (at the next due moment, or, `early`, 1 ms before it) */
  | { t: 'timer'; early: boolean }
  /** the agent is killed and starts again from its store */
  | { t: 'crash'; point: CrashPoint }
  /** the agent is away for the next `commands` commands (what happens meanwhile is a use during downtime), then starts from its store */
  | { t: 'down'; commands: number }
  | { t: 'engineRestart' }
  /** the data root's usage changes (what else writes to the disk); the image bytes are the engine's images */
  | { t: 'disk'; usedPercent: number };

const content = fc.constantFrom(...CONTENTS);
const ref = fc.constantFrom(...REFS);
const durations = Object.keys(DURATIONS);

/** Globs, the broad ones more often (a rule that matches nothing present tests little). */
const pattern = fc.oneof({ weight: 3, arbitrary: fc.constantFrom('*', `${REGISTRY}/**`, `${REGISTRY}/app:*`) }, { weight: 4, arbitrary: fc.constantFrom(...PATTERNS) });
/** Short durations more often: they fall due within a sequence's time steps. */
const deleteAfter = fc.oneof({ weight: 3, arbitrary: fc.constantFrom('1s', '5s') }, { weight: 2, arbitrary: fc.constantFrom(...durations) });
const rule = fc.record({ pattern, deleteAfter, agentDownloadedOnly: fc.oneof({ weight: 3, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }) });
const minAge = { minAge: fc.constantFrom('0s', '1s', '30s', '2m') };
/** A disk budget, valid as generated (low below high, target below max), fields left to their defaults too. */
const diskPressure: fc.Arbitrary<ModelDisk> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ highThresholdPercent: fc.constantFrom(85, 90, 95), lowThresholdPercent: fc.constantFrom(60, 70, 80), ...minAge }, { requiredKeys: [] }) },
  { weight: 1, arbitrary: fc.record({ maxImageBytes: fc.constantFrom('6M', '8M'), targetImageBytes: fc.constantFrom('3M', '5M'), ...minAge }, { requiredKeys: ['maxImageBytes', 'targetImageBytes'] }) },
);
const keep = fc.oneof({ weight: 2, arbitrary: fc.constant([] as string[]) }, { weight: 1, arbitrary: fc.array(fc.constantFrom(...PATTERNS.filter((p) => p !== '*')), { minLength: 1, maxLength: 2 }) });
const name = fc.constantFrom('p0', 'p1', 'p2');
/** A budget's policy has long rules mostly (as in SPEC §8's example): what it removes, it removes for space. */
const longRule = fc.record({ pattern, deleteAfter: fc.constantFrom('2m', '1h', '1h', '5s'), agentDownloadedOnly: fc.oneof({ weight: 3, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }) });
const policy: fc.Arbitrary<ModelPolicy> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ name, rules: fc.array(rule, { minLength: 1, maxLength: 3 }), keep }) },
  { weight: 2, arbitrary: fc.record({ name, rules: fc.array(longRule, { minLength: 1, maxLength: 2 }), keep, diskPressure }) },
);

/** Steps of time that straddle the durations (1 ms before and after a second, a second, ...). */
const step = fc.constantFrom(0, 1, 5, 500, 999, 1_000, 1_001, 4_000, 5_000, 29_999, 30_000, 120_000, 600_000, 3_600_000);

export const commandArb: fc.Arbitrary<Command> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ t: fc.constant('run' as const), content, running: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('short' as const), content }) },
  { weight: 3, arbitrary: fc.record({ t: fc.constant('rm' as const), pick: fc.nat(7) }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('tag' as const), content, ref }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('rmi' as const), ref }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('rmiId' as const), content }) },
  { weight: 3, arbitrary: fc.record({ t: fc.constant('pull' as const), ref: fc.constantFrom(...PULLABLE), by: fc.constantFrom('agent' as const, 'other' as const) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('load' as const), ref, content, by: fc.constantFrom('agent' as const, 'other' as const) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('push' as const), ref: fc.constantFrom(...PULLABLE), content }) },
  { weight: 3, arbitrary: fc.record({ t: fc.constant('apply' as const), policy }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('delete' as const), name: fc.constantFrom('p0', 'p1', 'p2') }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('workload' as const), ref: fc.option(ref, { nil: null }) }) },
  { weight: 6, arbitrary: fc.record({ t: fc.constant('advance' as const), ms: step }) },
  { weight: 6, arbitrary: fc.constant({ t: 'pass' as const }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('race' as const), pick: fc.nat(3) }) },
  { weight: 3, arbitrary: fc.record({ t: fc.constant('timer' as const), early: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('crash' as const), point: fc.constantFrom('between' as const, 'afterCommit' as const, 'midRemove' as const, 'afterRemove' as const) }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('down' as const), commands: fc.integer({ min: 1, max: 5 }) }) },
  { weight: 1, arbitrary: fc.constant({ t: 'engineRestart' as const }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('disk' as const), usedPercent: fc.oneof(fc.integer({ min: 40, max: 100 }), fc.constantFrom(79, 80, 85, 89, 90, 95, 100)) }) },
);

/** A device that already holds a few images (pulled by the agent or found there) and may have a policy. */
const setupArb: fc.Arbitrary<Command[]> = fc.tuple(
  fc.subarray(PULLABLE.map((ref, i) => ({ t: 'pull' as const, ref, by: i % 2 ? ('agent' as const) : ('other' as const) })), { minLength: 1 }),
  fc.option(policy.map((p): Command => ({ t: 'apply', policy: p })), { nil: undefined, freq: 3 }),
).map(([pulls, apply]) => (apply ? [...pulls, apply] : pulls));

export const sequenceArb: fc.Arbitrary<Command[]> = fc.tuple(setupArb, fc.array(commandArb, { minLength: 1, maxLength: 30, size: 'max' })).map(([a, b]) => [...a, ...b]);
