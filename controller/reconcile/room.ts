/**
 * Room before a pull (SPEC §8; no comparable tool does this). Before a managed pull (a Workload's,
 * `imagectl pull`) the agent reads the registry manifest and computes `need` = 2 × the compressed
 * size of the layers that are not present; while `used + need` would reach a budget's high
 * threshold (the byte form: pass maxImageBytes), candidates go in the pressure order, through the
 * one removal loop (pressure-pass.ts); then the pull goes ahead if `need` fits the filesystem, and
 * otherwise fails at once with InsufficientDisk, before any byte is downloaded. Pulls in flight
 * keep what they were given reserved, so two at once do not count the same free space twice. A
 * load is checked the same way against its archive's size. Without a budget nothing is checked.
 */
import { budgetsOf, type DiskBudget } from '../../crd/imagepolicy/disk-pressure.js';
import { formatBytes } from '../../crd/fields/bytes.js';
import { DiskError, type PullRoom } from '../effects/disk-room.js';
import { PullNeeds } from '../effects/need.js';
import { errorText } from '../engine/errors.js';
import { Serial } from './loop.js';
import type { PassDeps } from './options.js';
import type { FsUsage } from '../disk/meter.js';
import { measureUsage, removeForSpace, spaceOrder } from './pressure-pass.js';
import { pressureGoal, pressureReason, reached, type Goal } from './pressure.js';
import type { LoopState } from './state.js';

interface Shared {
  /** bytes promised to pulls and loads in flight */
  reserved: number;
  /** one room-making at a time (a pass converges two Workloads at once) */
  one: Serial;
  needs: PullNeeds | null;
}

type Exclusive = <T>(fn: () => Promise<T>) => Promise<T>;

const noop = () => undefined;

export class DiskRoom implements PullRoom {
  constructor(
    private readonly d: PassDeps,
    private readonly s: LoopState,
    private readonly shared: Shared = { reserved: 0, one: new Serial(), needs: null },
    private readonly exclusive?: Exclusive,
  ) {}

  /** The same room for callers outside a pass (the API's pull and load): it works between passes. */
  between(loop: { exclusive: Exclusive }): DiskRoom {
    return new DiskRoom(this.d, this.s, this.shared, (fn) => loop.exclusive(fn));
  }

  async forPull(ref: string): Promise<() => void> {
    const budgets = budgetsOf(this.s.selected);
    if (!this.d.disk || budgets.length === 0) return noop;
    this.shared.needs ??= new PullNeeds(this.d.docker);
    let need: number;
    try {
      need = (await this.shared.needs.of(ref, (this.s.lastObservation?.images ?? []).map((i) => i.id))).need;
    } catch (err) {
      this.d.log.warn({ ref, error: errorText(err) }, 'cannot read what the pull needs from its registry; it goes ahead without making room first');
      return noop;
    }
    return need > 0 ? this.guarded(() => this.make(`the pull of ${ref}`, ref, need, budgets)) : noop;
  }

  forLoad(name: string, bytes: number): Promise<() => void> {
    const budgets = budgetsOf(this.s.selected);
    if (!this.d.disk || budgets.length === 0 || bytes <= 0) return Promise.resolve(noop);
    const what = `the load of ${name.replace(/^load /, '')}`;
    return this.guarded(() => this.make(what, name, bytes, budgets));
  }

  /** After an ENOSPC: free down to every budget's target; the pull is tried once more when a budget applies. */
  async afterDiskFull(ref: string): Promise<boolean> {
    const budgets = budgetsOf(this.s.selected);
    const meter = this.d.disk;
    if (!meter || budgets.length === 0) return false;
    await this.guarded(async () => {
      const m = await measureUsage(meter, this.s, budgets, true);
      const goal: Goal = { active: budgets, minAgeMs: Math.min(...budgets.map((b) => b.minAgeMs)) };
      this.d.log.warn({ ref }, 'DiskFull: the pull ran out of disk space; freeing space, then one more try');
      await removeForSpace(this.d, this.s, meter, { goal, usage: m.usage, done: (u) => reached(goal, u), reason: (u, frees) => pressureReason(goal, m.usage, frees, { now: u, why: `DiskFull: a pull of ${ref} ran out of space` }), trigger: `DiskFull ${ref}` });
    });
    return true;
  }

  private refusal(what: string, need: number, fs: FsUsage, removed: number, more: string): DiskError {
    const after = removed ? ` after removing ${removed} image${removed > 1 ? 's' : ''}` : '';
    const available = Math.max(0, fs.availableBytes - this.shared.reserved);
    return new DiskError('InsufficientDisk', `${what} needs ${formatBytes(need)} and ${fs.path} has ${formatBytes(available)} available${after}${more}; nothing was downloaded`);
  }

  private guarded<T>(fn: () => Promise<T>): Promise<T> {
    const inner = () => this.shared.one.run(fn);
    return this.exclusive ? this.exclusive(inner) : inner();
  }

  /** Remove candidates while used + need (+ what is reserved) would reach a high threshold; reserve need, or refuse. */
  private async make(what: string, ref: string, need: number, budgets: DiskBudget[]): Promise<() => void> {
    const meter = this.d.disk!;
    const extra = need + this.shared.reserved;
    let { usage } = await measureUsage(meter, this.s, budgets, true);
    const start = usage;
    const goal = pressureGoal(budgets, usage, extra);
    let removed = 0;
    if (goal && usage.fs) {
      // what every candidate together would free: when even that cannot make it fit, nothing is removed for it
      const all = await spaceOrder(this.d, this.s, meter, goal.minAgeMs);
      const freeable = all.unique ? all.order.reduce((n, id) => n + (all.unique!.get(id) ?? 0), 0) : Infinity;
      if (need > usage.fs.availableBytes - this.shared.reserved + freeable) throw this.refusal(what, need, usage.fs, 0, ` and removing every candidate for space (${all.order.length}) would free only ${formatBytes(freeable)}`);
    }
    if (goal && !this.s.safeMode) {
      const r = await removeForSpace(this.d, this.s, meter, {
        goal, usage, trigger: `room for ${ref}`,
        done: (u) => pressureGoal(budgets, u, extra) === null,
        reason: (u, frees) => pressureReason(goal, start, frees, { now: u, extraBytes: extra, why: `room for ${what} (needs ${formatBytes(need)})` }),
      });
      usage = r.usage;
      removed = r.removed.length;
    }
    if (usage.fs && need > usage.fs.availableBytes - this.shared.reserved) {
      throw this.refusal(what, need, usage.fs, removed, removed ? '' : goal ? ' (no image could be removed for it)' : '');
    }
    this.shared.reserved += need;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.shared.reserved -= need;
    };
  }
}
