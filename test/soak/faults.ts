/**
 * The soak's faults, one at a time, each for a while: the agent SIGKILLed and started again from its
 * state dir, dockerd stopped and started, the registry stopped, the engine's data root (a tmpfs of
 * its own) filled to ENOSPC. Each leaves a window (kind, from, to) that the report and the lateness
 * count use.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fillToEnospc } from '../helpers/disk.js';
import type { AgentProcess } from '../helpers/agent.js';
import type { Stack } from '../stack/stack.js';
import type { SoakActions } from './actions.js';
import type { FaultKind } from './schedule.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A tmpfs mounted where the stack's dockerd keeps its data (`<root>/data`), before the stack starts; the stack unmounts it. */
export class DataRoot {
  readonly dir: string;
  private readonly filler: string;

  constructor(root: string, sizeMb: number) {
    this.dir = join(root, 'data');
    mkdirSync(this.dir, { recursive: true });
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeMb}m,mode=0711`, 'tmpfs', this.dir]);
    this.filler = join(this.dir, 'soak-filler');
  }

  /** Write until the file system says ENOSPC. */
  fill(): void {
    fillToEnospc(this.filler);
  }

  free(): void {
    rmSync(this.filler, { force: true });
  }
}

export interface FaultWindow {
  kind: FaultKind;
  from: number;
  to: number;
}

export class FaultLane {
  readonly windows: FaultWindow[] = [];
  readonly counts: Partial<Record<FaultKind, number>> = {};
  readonly errors: string[] = [];
  active: FaultKind | null = null;

  constructor(
    private readonly stack: Stack,
    private readonly agent: AgentProcess,
    private readonly disk: DataRoot,
    private readonly actions: SoakActions,
  ) {}

  /** Was a fault on at some moment of [from, to]? */
  during(from: number, to: number): boolean {
    return this.windows.some((w) => w.from <= to && w.to >= from) || (this.active !== null && Date.now() >= from);
  }

  async inject(kind: FaultKind, holdMs: number): Promise<void> {
    if (this.active) return;
    this.active = kind;
    const from = Date.now();
    try {
      await this.run(kind, holdMs);
      this.counts[kind] = (this.counts[kind] ?? 0) + 1;
    } catch (err) {
      this.errors.push(`${kind}: ${(err as Error).message.split('\n')[0]}`);
    } finally {
      this.windows.push({ kind, from, to: Date.now() });
      this.active = null;
    }
  }

  private async run(kind: FaultKind, holdMs: number): Promise<void> {
    switch (kind) {
      case 'agent-kill': {
        await this.actions.apiLock; // an apply in flight is in force or not, never half
        await this.agent.kill('SIGKILL');
        this.actions.agentUp.set(false);
        await sleep(holdMs);
        return this.startAgent();
      }
      case 'engine-restart': {
        this.actions.engineUp.set(false);
        await this.stack.stopEngine();
        await sleep(Math.min(holdMs, 1_000));
        await this.stack.startEngine();
        this.actions.engineUp.set(true);
        return;
      }
      case 'registry-stop':
        await this.stack.stopRegistry();
        await sleep(holdMs);
        return this.stack.startRegistry();
      case 'disk-full':
        this.disk.fill();
        await sleep(holdMs);
        return this.disk.free();
    }
  }

  async startAgent(): Promise<void> {
    for (let i = 0; ; i++) {
      try {
        await this.agent.start();
        this.actions.agentUp.set(true);
        return;
      } catch (err) {
        await this.agent.kill('SIGKILL');
        if (i >= 2) throw err;
      }
    }
  }
}
