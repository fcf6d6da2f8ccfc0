/**
 * The agent's clock: monotonic within a run, anchored to persisted wall time across runs.
 *
 * At start it reads the wall clock once, and never goes behind `floor`: the latest time the store
 * recorded, or, after a restart within the same boot, the previous run's clock carried forward by
 * the system's monotonic clock (see `restartFloor`). So a wall clock that was set back while the
 * agent was down does not rewind or delay countdowns.
 * From then on it advances with the monotonic clock only: a wall-clock jump during a run (NTP
 * step, an operator's `date -s`) neither removes anything early nor delays anything. The new wall
 * time is adopted at the next agent start. `skewMs()` says how far the wall clock has drifted from it.
 */
export interface ClockSources {
  /** wall time, ms since the epoch */
  wall: () => number;
  /** monotonic time, ms from an arbitrary origin */
  mono: () => number;
}

export interface AgentClock {
  now(): number;
  /** wall clock minus agent clock, ms: positive when the wall clock jumped forward */
  skewMs(): number;
  /** the anchor: the agent time at start */
  readonly startedAt: number;
}

export const systemSources: ClockSources = { wall: Date.now, mono: () => performance.now() };

/** What the agent writes at start so that the next run (same boot) can carry its clock forward. */
export interface ClockAnchor {
  /** agent time at start, ms */
  at: number;
  /** the system's monotonic clock then (CLOCK_MONOTONIC, ms; shared by all processes of a boot) */
  mono: number;
  /** /proc/sys/kernel/random/boot_id */
  bootId: string;
}

/** The floor for a new run: the latest recorded time, or the previous run's clock carried forward when the boot is the same. Pure. */
export function restartFloor(latestRecorded: number | null, anchor: ClockAnchor | null, now: { mono: number; bootId: string }): number | null {
  const carried = anchor && anchor.bootId === now.bootId && now.mono >= anchor.mono ? anchor.at + (now.mono - anchor.mono) : null;
  if (latestRecorded === null) return carried;
  return carried === null ? latestRecorded : Math.max(latestRecorded, carried);
}

/** The system-wide monotonic clock, ms (process.hrtime is CLOCK_MONOTONIC on Linux). */
export const systemMono = () => Number(process.hrtime.bigint() / 1_000_000n);

export function agentClock(floor: number | null, src: ClockSources = systemSources): AgentClock {
  const startedAt = Math.max(src.wall(), floor ?? 0);
  const mono0 = src.mono();
  const now = () => startedAt + Math.floor(src.mono() - mono0);
  return { now, skewMs: () => src.wall() - now(), startedAt };
}
