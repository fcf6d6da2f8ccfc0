/**
 * One soak: a stack of its own (dockerd on a tmpfs data root, a registry), fixture images, the
 * agent, the oracle on the engine's event stream, then the seeded schedule of operations and the
 * fault lane until the time is up; then every fault is undone, the last deletes are judged, and the
 * report says what happened. Everything started here is stopped here.
 */
import { mkdtempSync, readFileSync, rmSync, statfsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AgentProcess } from '../helpers/agent.js';
import { seededRandom } from '../helpers/rng.js';
import { auditLog } from '../fault/helpers/api.js';
import { stateAgrees } from '../fault/helpers/invariants.js';
import { buildFixture, dockerFor, pushFixture } from '../stack/fixtures.js';
import { ensurePackages, startStack, type Stack } from '../stack/stack.js';
import { LISTED_AFTER_MS, SoakActions } from './actions.js';
import { DataRoot, FaultLane } from './faults.js';
import { EngineOracle, LATE_MS } from './oracle.js';
import { PolicyHistory } from './policies.js';
import { summarize, type SoakReport } from './report.js';
import { FaultSchedule, Schedule } from './schedule.js';

export interface SoakOptions {
  durationMs: number;
  seed: number;
  /** short-lived containers and containers that come and go while the agent is down (beyond what main guarantees) */
  unseenUses: boolean;
  /** the time between two faults (default 8 to 15 s) */
  faultGapMs?: readonly [number, number];
  log?: (s: string) => void;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function rssBytes(pid: number | undefined): number | null {
  if (!pid) return null;
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : null;
  } catch {
    return null;
  }
}

/** The data root's filesystem, used percent as SPEC §8 counts it (the oracle's own statfs, not the agent's). */
function usedPercent(dir: string): number | null {
  try {
    const s = statfsSync(dir);
    return s.blocks > 0 ? (100 * (s.blocks - s.bavail)) / s.blocks : null;
  } catch {
    return null;
  }
}

/** Tell the oracle when the disk was full (the fault, or its statfs samples) and when the agent or the engine came back. */
function wireOracle(oracle: EngineOracle, faults: FaultLane, disk: DataRoot): () => void {
  const samples: { t: number; pct: number }[] = [];
  const sampler = setInterval(() => {
    const pct = usedPercent(disk.dir);
    if (pct !== null) samples.push({ t: Date.now(), pct });
    if (samples.length > 2_000) samples.splice(0, 1_000);
  }, 250);
  oracle.pressure = (from, to, high) =>
    faults.windows.some((w) => w.kind === 'disk-full' && w.from <= to && w.to >= from) ||
    faults.active === 'disk-full' ||
    samples.some((x) => x.t >= from - 500 && x.t <= to && x.pct >= high - 2);
  // SPEC §2: a use the agent could not see counts from when it could see again, a little after it is back
  oracle.restartedAfter = (t) => {
    const ends = faults.windows.filter((w) => (w.kind === 'agent-kill' || w.kind === 'engine-restart') && w.to >= t).map((w) => w.to + 3_000);
    if (faults.active === 'agent-kill' || faults.active === 'engine-restart') ends.push(Infinity);
    return ends.length ? Math.max(...ends) : -Infinity;
  };
  return () => clearInterval(sampler);
}

async function fixtures(stack: Stack): Promise<void> {
  const docker = dockerFor(stack);
  const R = stack.registry;
  for (const ref of [`${R}/soak/app:v1`, `${R}/soak/app:v2`, `${R}/soak/app:v3`, `${R}/soak/base:1`]) {
    await buildFixture(docker, ref);
    await pushFixture(docker, ref);
  }
  await buildFixture(docker, 'soak/local:1');
  await buildFixture(docker, 'soak/keep:1');
}

export async function runSoak(o: SoakOptions): Promise<SoakReport> {
  const log = o.log ?? (() => undefined);
  await ensurePackages();
  const root = mkdtempSync('/tmp/ictl-soak-');
  const disk = new DataRoot(root, 256);
  const stack = await startStack({ root, log });
  const stateDir = mkdtempSync(join(tmpdir(), 'ictl-soak-state-'));
  const agent = new AgentProcess(stack, stateDir, ['--interval', '1s']);
  const docker = dockerFor(stack);
  const policies = new PolicyHistory();
  const oracle = new EngineOracle(docker, policies);
  // what main guarantees: a container counts once it lived long enough for a pass to list it
  if (!o.unseenUses) oracle.ignoreShorterThanMs = LISTED_AFTER_MS;
  try {
    await fixtures(stack);
    await oracle.connect();
    await agent.start();
    const actions = new SoakActions(docker, stack.registry, agent, oracle, policies, o.unseenUses);
    const faults = new FaultLane(stack, agent, disk, actions);
    const unwire = wireOracle(oracle, faults, disk);
    const rss: { t: number; bytes: number }[] = [];
    const started = Date.now();
    const until = started + o.durationMs;
    const ticker = setInterval(() => oracle.tick(Date.now(), (a, b) => faults.during(a, b)), 250);
    const sampler = setInterval(() => {
      const b = rssBytes(agent.child?.pid);
      if (b !== null) rss.push({ t: Date.now() - started, bytes: b });
    }, 2_000);
    log(`soak: seed ${o.seed}, ${Math.round(o.durationMs / 1000)} s, ${o.unseenUses ? 'with' : 'without'} short-lived containers and uses while the agent is away`);
    const faultLane = runFaults(faults, new FaultSchedule(seededRandom(o.seed ^ 0x5bd1e995), o.faultGapMs), until);
    const schedule = new Schedule(seededRandom(o.seed), o.unseenUses);
    let ops = 0;
    while (Date.now() < until) {
      await actions.run(schedule.next(!actions.agentUp.up));
      if (++ops % 200 === 0) log(`soak: ${ops} operations, ${oracle.agentRemovals.length} removals by the agent, ${oracle.violations.length} violations`);
      await sleep(schedule.thinkMs());
    }
    await faultLane;
    if (!actions.agentUp.up) await faults.startAgent();
    // the last countdowns run out and their deletes are judged
    await sleep(8_000 + LATE_MS);
    await oracle.settled();
    oracle.tick(Date.now(), (a, b) => faults.during(a, b));
    oracle.judgeAll();
    clearInterval(ticker);
    clearInterval(sampler);
    unwire();
    const agrees = await stateAgrees(docker, agent.socket).catch((err: Error) => [`could not compare: ${err.message}`]);
    for (const v of oracle.violations.slice(0, 20)) {
      const audit = await auditLog(agent.socket, v.image).catch(() => []);
      v.agentAudit = audit.filter((a) => !a.event.startsWith('api.')).slice(-6).map((a) => `${a.time} ${a.from}->${a.to} ${a.event}: ${a.reason}`);
    }
    const report = summarize({ seed: o.seed, durationMs: o.durationMs, unseenUses: o.unseenUses, actions, faults, oracle, rss, agrees });
    for (const l of report.late.list.filter((x) => !x.duringFault).slice(0, 10)) {
      const audit = await auditLog(agent.socket, l.image).catch(() => []);
      l.agentAudit = audit.filter((a) => !a.event.startsWith('api.')).slice(-6).map((a) => `${a.time} ${a.from}->${a.to} ${a.event}: ${a.reason}`);
    }
    return report;
  } finally {
    oracle.stop();
    await agent.dispose();
    await stack.stop(); // unmounts the data root's tmpfs with everything under root
    rmSync(stateDir, { recursive: true, force: true });
  }
}

async function runFaults(lane: FaultLane, s: FaultSchedule, until: number): Promise<void> {
  for (;;) {
    const next = s.next();
    if (Date.now() + next.inMs + next.holdMs > until) return;
    await sleep(next.inMs);
    await lane.inject(next.kind, next.holdMs);
  }
}
