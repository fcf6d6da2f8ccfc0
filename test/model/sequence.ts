/**
 * Run one generated sequence on two devices that receive the same commands: one whose agent
 * restores from its store at every crash, and its uninterrupted twin, which keeps its memory (a
 * crash there is one whole pass at the same moment). The first is judged by the properties on every
 * plan; after every command the two must agree on every image's machine (restore from snapshots
 * equals the uninterrupted run).
 */
import type { PersistedImage } from '../../statemachines/runtime.js';
import type { Planner } from './agent-sim.js';
import type { Command } from './commands.js';
import { Device, type DeviceOptions } from './device.js';
import { Judge } from './judge.js';
import { realPressure, type PressureDecider } from './pressure.js';
import { Checker, PropertyFailure } from './properties.js';

export interface RunOptions {
  planner: Planner;
  /** what would be removed for space (default: the product's decision; a planted bug otherwise) */
  pressure?: PressureDecider;
  shell?: DeviceOptions['shell'];
}

/** What a restart may change of a machine: nothing but the words of its reason (found gone vs removed). */
const projected = new WeakMap<PersistedImage, string>();
function project(p: PersistedImage): string {
  let s = projected.get(p);
  if (s === undefined) {
    const { reason: _r, lastError: _e, ...rest } = p.context;
    projected.set(p, (s = JSON.stringify([p.state, rest])));
  }
  return s;
}

/** The first image whose machine differs between the two, or null. */
function differs(a: ReadonlyMap<string, PersistedImage>, b: ReadonlyMap<string, PersistedImage>): string | null {
  for (const id of new Set([...a.keys(), ...b.keys()])) {
    const x = a.get(id);
    const y = b.get(id);
    if (x !== y && (!x || !y || project(x) !== project(y))) return `${id}:\n restored      ${x ? project(x) : 'untracked'}\n uninterrupted ${y ? project(y) : 'untracked'}`;
  }
  return null;
}

/** Run `cmds`, throwing the first PropertyFailure; the judged device at the end. */
export function runSequence(cmds: readonly Command[], o: RunOptions): Device {
  const device = new Device({ planner: o.planner, restoreOnCrash: true, shell: o.shell });
  device.judge = new Judge(device.world);
  const checker = new Checker(device.world, device.judge, o.pressure ?? realPressure, () => device.diskUsedPercent);
  device.onPlan = (r) => checker.onPlan(r);
  // until the first restart the two are the same device: the twin is forked there
  let twin: Device | null = null;
  for (const [i, c] of cmds.entries()) {
    if (!twin && (c.t === 'crash' || c.t === 'down')) twin = device.fork();
    device.apply(c);
    if (!twin) continue;
    twin.apply(c);
    const d = differs(device.agent.images, twin.agent.images);
    if (d) throw new PropertyFailure('restore from snapshots equals the uninterrupted run', `after command ${i} (${JSON.stringify(c)}), ${d}`);
  }
  return device;
}
