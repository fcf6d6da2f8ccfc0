/**
 * The properties, judged on every plan before its removals run (a thrown PropertyFailure names the
 * property and the image; fast-check then shrinks the sequence that led to it):
 *
 * 1. never removable while in use: no image the plan removes, and none it holds `removable`, is
 *    referenced by a container at that moment;
 * 2. never before its due time: the plan removes an image only when the model's winning rule says
 *    so, counted from the last use (`trueLastUse`) and from the persisted lastUsedAt alike, and the
 *    persisted lastUsedAt is never earlier than the last use;
 * 3. exactly what is due: the plan removes exactly the images the model says are due now, and its
 *    next due moment is the model's (no removal is late either);
 * 4. countdowns never restart: an image idle before and after a pass, with no use in between, keeps
 *    its lastUsedAt, except when history could not be seen, and then only for a later moment;
 * 5. the machines agree with the engine: in-use exactly when a container references the image;
 * 2'. and at the engine: every image the agent's removal deletes is, at that moment, unused and
 *    past the model's due time counted from its last use (a use between the plan and the delete,
 *    seen only as an engine event, included);
 * 6. disk pressure picks only the least-recently-used prefix of the candidates: what the product's
 *    pure decision would remove for space now is exactly the model's LRU prefix (pressure.ts).
 * The twin check (restore from snapshots equals the uninterrupted run) is in sequence.ts.
 */
import type { PersistedImage } from '../../statemachines/runtime.js';
import type { PassRecord } from './agent-sim.js';
import { idOf, sizeOf } from './catalog.js';
import { modelPressure, usageOf, type PressureDecider } from './pressure.js';
import type { Judge } from './judge.js';
import type { World } from './world.js';

export class PropertyFailure extends Error {
  constructor(property: string, detail: string) {
    super(`${property}: ${detail}`);
    this.name = 'PropertyFailure';
  }
}

const contentOf = (id: string) => Number(id.slice(7, 8)) - 1;
const idle = (p: PersistedImage | undefined) => p?.state === 'idle' || p?.state === 'removable';
const at = (ms: number | null) => (ms === null ? 'null' : `t+${ms - 1_000_000}`);

export class Checker {
  /** the engine events already judged (uses since the previous plan are those after it) */
  private eventsSeen = 0;
  constructor(
    private readonly world: World,
    private readonly judge: Judge,
    private readonly pressure: PressureDecider,
    /** the data root's used percent, as the device's disk command set it */
    private readonly diskUsedPercent: () => number,
  ) {
    const judged = world.onAgentRemove;
    world.onAgentRemove = (content) => {
      this.atDelete(content);
      judged(content);
    };
  }

  /** The engine deletes `content` for the agent, now. */
  private atDelete(c: number): void {
    const now = this.world.now;
    const win = this.judge.winning(c);
    const prot = this.judge.protectedBy(c);
    if (win === null || prot !== null) throw new PropertyFailure('deleted at the engine while protected', `${idOf(c)} at ${at(now)}: ${prot ?? 'no rule'}`);
    const last = this.judge.trueLastUse(c);
    if (now < last + win) throw new PropertyFailure('deleted at the engine before its due time', `${idOf(c)} at ${at(now)}, last used ${at(last)}, deleteAfter ${win} ms`);
  }

  onPlan(r: PassRecord): void {
    const usedSince = new Set(this.world.events.slice(this.eventsSeen).map((e) => e.content));
    this.eventsSeen = this.world.events.length;
    this.judge.observed(r.now, r.uses, r.unseenAt);
    this.neverInUse(r);
    this.neverEarly(r);
    this.exactlyDue(r);
    this.countdowns(r, usedSince);
    this.agreesWithEngine(r);
    this.lruPrefix(r);
  }

  private neverInUse(r: PassRecord): void {
    for (const id of r.plan.remove) if (this.world.inUse(contentOf(id))) throw new PropertyFailure('removed while in use', `${id} at ${at(r.now)}`);
    for (const [id, p] of r.plan.images) {
      if (p.state === 'removable' && this.world.inUse(contentOf(id))) throw new PropertyFailure('removable while in use', `${id} at ${at(r.now)}`);
    }
  }

  private neverEarly(r: PassRecord): void {
    for (const id of r.plan.remove) {
      const c = contentOf(id);
      const win = this.judge.winning(c);
      const prot = this.judge.protectedBy(c);
      if (win === null || prot !== null) throw new PropertyFailure('removed while protected', `${id} at ${at(r.now)}: ${prot ?? 'no rule'}`);
      const last = this.judge.trueLastUse(c);
      if (r.now < last + win) throw new PropertyFailure('removed before its due time', `${id} at ${at(r.now)}, last used ${at(last)}, deleteAfter ${win} ms`);
      const lu = r.plan.images.get(id)?.context.lastUsedAt ?? null;
      if (lu === null || r.now < lu + win) throw new PropertyFailure('removed before its due time (persisted lastUsedAt)', `${id} at ${at(r.now)}, lastUsedAt ${at(lu)}, deleteAfter ${win} ms`);
    }
    for (const [id, p] of r.plan.images) {
      const c = contentOf(id);
      if (!idle(p) || !this.world.images.has(c)) continue;
      const last = this.judge.trueLastUse(c);
      if (p.context.lastUsedAt === null || p.context.lastUsedAt < last) throw new PropertyFailure('lastUsedAt earlier than the last use', `${id}: ${at(p.context.lastUsedAt)} < ${at(last)}`);
    }
  }

  private exactlyDue(r: PassRecord): void {
    const want = this.judge.expected(r.now);
    const got = [...r.plan.remove].sort();
    if (JSON.stringify(got) !== JSON.stringify(want.remove)) throw new PropertyFailure('removes exactly what is due', `at ${at(r.now)} the plan removes [${got.join(', ')}], the model says [${want.remove.join(', ')}]`);
    if (r.plan.nextDueAt !== want.nextDueAt) throw new PropertyFailure('next due moment', `at ${at(r.now)} the plan says ${at(r.plan.nextDueAt)}, the model ${at(want.nextDueAt)}`);
  }

  private countdowns(r: PassRecord, usedSince: ReadonlySet<number>): void {
    for (const [id, after] of r.plan.images) {
      const before = r.before.get(id);
      if (!idle(before) || !idle(after)) continue;
      const was = before!.context.lastUsedAt!;
      const now = after.context.lastUsedAt!;
      if (now < was) throw new PropertyFailure('countdown moved earlier', `${id}: lastUsedAt ${at(was)} -> ${at(now)}`);
      if (now === was || usedSince.has(contentOf(id))) continue;
      if (r.unseenAt !== null && now === r.unseenAt) continue; // the one exception: history that could not be seen
      throw new PropertyFailure('countdown restarted', `${id} idle and unused, lastUsedAt ${at(was)} -> ${at(now)} at ${at(r.now)}`);
    }
  }

  private agreesWithEngine(r: PassRecord): void {
    for (const content of this.world.images.keys()) {
      const p = r.plan.images.get(idOf(content));
      if (!p || p.state === 'removed') throw new PropertyFailure('tracks every image', `${idOf(content)} is in the engine but ${p ? 'removed' : 'untracked'}`);
      if ((p.state === 'in-use') !== this.world.inUse(content)) throw new PropertyFailure('in-use agrees with the containers', `${idOf(content)} is ${p.state}`);
    }
    for (const [id, p] of r.plan.images) {
      if (p.state !== 'removed' && !this.world.images.has(contentOf(id))) throw new PropertyFailure('gone images are removed', `${id} is ${p.state}`);
    }
  }

  /** What pressure would remove now (the product's pure decision) is the model's LRU prefix of its candidates. */
  private lruPrefix(r: PassRecord): void {
    const pct = this.diskUsedPercent();
    const unique = new Map([...this.world.images.keys()].map((c) => [idOf(c), sizeOf(c)]));
    const got = this.pressure({ images: r.plan.images, policies: [...this.judge.policies.values()], usage: usageOf(this.world, pct), unique, now: r.now });
    const want = modelPressure(this.judge, this.world, pct, r.now);
    if (JSON.stringify(got) !== JSON.stringify(want)) {
      throw new PropertyFailure('disk pressure picks only the least-recently-used prefix of the candidates', `at ${at(r.now)}, disk ${pct}%: it would remove [${got.join(', ')}], the model's LRU prefix is [${want.join(', ')}]`);
    }
  }
}
