/**
 * One device: a model world with an agent on it, and a command applied to both the way it happens
 * on a real device (an apply or an `imagectl pull` goes through the agent's API and triggers a pass;
 * `docker ...` commands change the engine, which the agent sees at its next pass).
 *
 * A container that came and went between two passes, or while the agent was down, reaches the
 * planner only as the engine's events, replayed after a restart (SPEC §2: every use counts).
 */
import { AgentSim, type PassRecord, type Planner, type ShellOptions } from './agent-sim.js';
import { toManifest, type Judge } from './judge.js';
import type { Command } from './commands.js';
import { World } from './world.js';

export interface DeviceOptions {
  planner: Planner;
  /** restore from the store on a crash (false: the uninterrupted twin, which keeps its memory) */
  restoreOnCrash: boolean;
  /** the shell's parts that a planted bug turns off (agent-sim.ts) */
  shell?: Pick<ShellOptions, 'usesSincePlan' | 'restoreTags' | 'replay'>;
}

export class Device {
  readonly world: World;
  readonly agent: AgentSim;
  nextDueAt: number | null = null;
  diskUsedPercent = 50;
  /** the model, told of policies, workloads and arrivals (none for the twin) */
  judge: Judge | null = null;
  /** told every plan before its removals run */
  onPlan: (r: PassRecord) => void = () => undefined;

  constructor(private readonly o: DeviceOptions, from?: Device) {
    this.world = from ? from.world.clone() : new World();
    const opts: ShellOptions = { restoreOnCrash: o.restoreOnCrash, ...o.shell };
    const onPlan = (r: PassRecord) => {
      this.nextDueAt = r.plan.nextDueAt;
      this.onPlan(r);
    };
    this.agent = from ? from.agent.clone(this.world, opts, onPlan) : new AgentSim(this.world, o.planner, opts, onPlan);
    if (from) {
      Object.assign(this, { nextDueAt: from.nextDueAt, diskUsedPercent: from.diskUsedPercent, awayFor: from.awayFor });
    }
  }

  /** The uninterrupted twin of this device as it is now: the same state, and an agent that never restores. */
  fork(): Device {
    return new Device({ ...this.o, restoreOnCrash: false }, this);
  }

  private pass(): void {
    if (this.agent.up) this.agent.pass();
  }

  private arrived(content: number, wasAbsent: boolean, byAgent: boolean, via: string): void {
    if (!wasAbsent) return;
    if (byAgent) this.agent.downloaded(content, via);
    this.judge?.arrived(content, byAgent);
  }

  /**
   * The due timer's pass, during whose removals a container comes and goes on one of the images it
   * is about to remove (after the plan was written, before the engine is asked): a use the plan did
   * not know.
   */
  private race(pick: number): void {
    if (!this.agent.up) return;
    if (this.nextDueAt !== null) this.world.now = Math.max(this.world.now, this.nextDueAt + 5); // the due timer's pass
    this.agent.pass(undefined, (plan) => {
      const id = plan.remove[pick % Math.max(1, plan.remove.length)];
      if (!id) return;
      const k = this.world.createContainer(Number(id.slice(7, 8)) - 1, false);
      if (k) this.world.removeContainer(k);
    });
  }

  /** commands left before the agent, away, starts again */
  private awayFor = 0;

  /** One command, a millisecond after the previous one: two things never happen in the same millisecond. */
  apply(c: Command): void {
    this.world.now += 1;
    this.applyOne(c);
    if (this.awayFor > 0 && --this.awayFor === 0) this.agent.start();
  }

  private applyOne(c: Command): void {
    const { world, agent } = this;
    switch (c.t) {
      case 'run': world.createContainer(c.content, c.running); return;
      case 'short': {
        const k = world.createContainer(c.content, true);
        if (k) world.removeContainer(k);
        return;
      }
      case 'rm': if (world.containers.length) world.removeContainer(world.containers[c.pick % world.containers.length]!); return;
      case 'tag': world.tag(c.content, c.ref); return;
      case 'rmi': world.rmiRef(c.ref); return;
      case 'rmiId': world.rmiId(c.content); return;
      case 'push': world.push(c.ref, c.content); return;
      case 'advance': world.now += c.ms; return;
      case 'pass': this.pass(); return;
      case 'race': this.race(c.pick); return;
      case 'disk': this.diskUsedPercent = c.usedPercent; return;
      case 'engineRestart': world.restartEngine(); agent.engineRestarted(); this.pass(); return;
      case 'pull': case 'load': {
        if (c.by === 'agent' && !agent.up) return; // the agent's API is down
        const r = c.t === 'pull' ? world.pull(c.ref) : world.load(c.ref, c.content);
        this.arrived(r.content, r.wasAbsent, c.by === 'agent', `${c.t} ${c.ref}`);
        if (c.by === 'agent') this.pass(); // the download's pass
        return;
      }
      default: this.agentCommand(c);
    }
  }

  /** Commands that need the agent up (its API, its timer, the agent itself). */
  private agentCommand(c: Command): void {
    const { world, agent, judge } = this;
    if (!agent.up) return;
    switch (c.t) {
      case 'apply': agent.applyPolicy(toManifest(c.policy)); judge?.policies.set(c.policy.name, c.policy); this.pass(); return;
      case 'delete': agent.deletePolicy(c.name); judge?.policies.delete(c.name); this.pass(); return;
      case 'workload': agent.setWorkload(c.ref); if (judge) judge.workloadRef = c.ref; this.pass(); return;
      case 'timer': {
        const due = this.nextDueAt;
        if (due !== null) world.now = Math.max(world.now, c.early ? due - 1 : due + 5);
        this.pass();
        return;
      }
      case 'crash': agent.crash(c.point); return;
      case 'down': agent.stop(); this.awayFor = c.commands + 1; return;
    }
  }
}
