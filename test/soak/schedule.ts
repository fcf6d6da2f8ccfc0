/**
 * The soak's schedule: which operation users and the world do next, drawn from a seeded generator
 * (the same seed draws the same operations and parameters; what they hit depends on what the engine
 * holds at that moment). Two kinds of uses are behind `unseenUses`: containers that live tens of
 * milliseconds, and containers that come and go while the agent is down. Without it, the schedule
 * does only what main guarantees to see: a container is removed only after it existed for a while
 * with the agent and the engine up (so that a pass listed it).
 */
export type OpKind =
  | 'run' | 'create' | 'short' | 'rm' | 'tag' | 'rmi' | 'push' | 'pull' | 'agent-pull' | 'import' | 'apply' | 'delete-policy';

export type FaultKind = 'agent-kill' | 'engine-restart' | 'registry-stop' | 'disk-full';
export const FAULT_KINDS: readonly FaultKind[] = ['agent-kill', 'engine-restart', 'registry-stop', 'disk-full'];

export interface Op {
  kind: OpKind;
  /** a number in [0, 1) the executor uses to pick what the operation acts on */
  pick: number;
  /** a second one, for the parameter (tag, duration, family) */
  param: number;
}

const WEIGHTS: Record<OpKind, number> = {
  run: 10, create: 5, short: 8, rm: 12, tag: 6, rmi: 5, push: 3, pull: 5, 'agent-pull': 4, import: 3, apply: 4, 'delete-policy': 2,
};

export class Schedule {
  constructor(
    private readonly rnd: () => number,
    readonly unseenUses: boolean,
  ) {}

  /** The next operation; `agentDown`: while the agent is away, uses are what the schedule is after. */
  next(agentDown: boolean): Op {
    const kinds = (Object.keys(WEIGHTS) as OpKind[]).filter((k) => this.unseenUses || k !== 'short');
    const weight = (k: OpKind) => WEIGHTS[k] * (agentDown && this.unseenUses && (k === 'short' || k === 'rm' || k === 'run') ? 3 : 1);
    const total = kinds.reduce((a, k) => a + weight(k), 0);
    let x = this.rnd() * total;
    let kind = kinds[0]!;
    for (const k of kinds) {
      x -= weight(k);
      if (x < 0) {
        kind = k;
        break;
      }
    }
    return { kind, pick: this.rnd(), param: this.rnd() };
  }

  /** Milliseconds until the next operation. */
  thinkMs(): number {
    return 50 + Math.floor(this.rnd() * 550);
  }
}

/** The fault lane: a fault every `gapMs` (8 to 15 s by default), the kinds in a seeded order that uses each before repeating. */
export class FaultSchedule {
  private bag: FaultKind[] = [];

  constructor(
    private readonly rnd: () => number,
    private readonly gapMs: readonly [number, number] = [8_000, 15_000],
  ) {}

  next(): { kind: FaultKind; inMs: number; holdMs: number } {
    if (this.bag.length === 0) {
      this.bag = [...FAULT_KINDS];
      for (let i = this.bag.length - 1; i > 0; i--) {
        const j = Math.floor(this.rnd() * (i + 1));
        [this.bag[i], this.bag[j]] = [this.bag[j]!, this.bag[i]!];
      }
    }
    const [lo, hi] = this.gapMs;
    return { kind: this.bag.shift()!, inMs: lo + Math.floor(this.rnd() * (hi - lo)), holdMs: 500 + Math.floor(this.rnd() * 3_500) };
  }
}
