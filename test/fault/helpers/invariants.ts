/**
 * The invariants checked after every fault: the agent's machines agree with the engine, no image
 * that a container references is gone, and every image the engine deleted was first recorded
 * `removable` by the agent (write-ahead) at least `deleteAfter` after it was last seen in use.
 */
import type Dockerode from 'dockerode';
import { LineSplitter } from '../../../crd/api/lines.js';
import { auditLog, images } from './api.js';

export interface Violation {
  what: string;
}

/** Real times (ms) at which the engine deleted images, by image ID, from its event stream. */
export async function watchDeletes(docker: Dockerode): Promise<{ deletes: Map<string, number>; stop(): void }> {
  const deletes = new Map<string, number>();
  const stream = await docker.getEvents({ filters: JSON.stringify({ type: ['image'], event: ['delete'] }) });
  const lines = new LineSplitter();
  stream.on('data', (c: Buffer) => {
    for (const line of lines.push(c)) {
      const e = JSON.parse(line) as { id?: string; Actor?: { ID?: string }; timeNano: number };
      deletes.set(e.Actor?.ID ?? e.id ?? '', Math.floor(e.timeNano / 1e6));
    }
  });
  return { deletes, stop: () => (stream as unknown as { destroy(): void }).destroy() };
}

/** The engine's container events while a test runs: when (ms, the engine's time) a container was created, destroyed… */
export async function watchContainers(docker: Dockerode): Promise<{ at(action: string, id: string): number | undefined; stop(): void }> {
  const seen: { action: string; id: string; ms: number }[] = [];
  const stream = await docker.getEvents({ filters: JSON.stringify({ type: ['container'] }) });
  const lines = new LineSplitter();
  stream.on('data', (c: Buffer) => {
    for (const l of lines.push(c)) {
      const e = JSON.parse(l) as { Action: string; Actor: { ID: string }; timeNano: number };
      seen.push({ action: e.Action, id: e.Actor.ID, ms: Math.floor(e.timeNano / 1e6) });
    }
  });
  return {
    at: (action, id) => seen.find((e) => e.action === action && e.id === id)?.ms,
    stop: () => (stream as unknown as { destroy(): void }).destroy(),
  };
}

/** Machines versus engine. Returns what disagrees (empty when all is well). */
export async function stateAgrees(docker: Dockerode, socket: string): Promise<string[]> {
  const [engineImages, containers, tracked] = await Promise.all([docker.listImages(), docker.listContainers({ all: true }), images(socket)]);
  const problems: string[] = [];
  const present = new Set(engineImages.map((i) => i.Id));
  const used = new Set(containers.map((c) => c.ImageID));
  for (const c of containers) if (!present.has(c.ImageID)) problems.push(`container ${c.Names?.[0]} references ${c.ImageID}, which is gone`);
  const byId = new Map(tracked.map((t) => [t.metadata.name, t]));
  for (const id of present) {
    const t = byId.get(id);
    if (!t) problems.push(`${id} is in the engine but not tracked`);
    else if (t.status.state === 'removed') problems.push(`${id} is in the engine but tracked as removed`);
    else if (used.has(id) !== (t.status.state === 'in-use')) problems.push(`${id} is ${t.status.state} but ${used.has(id) ? 'a container uses it' : 'no container uses it'}`);
  }
  for (const t of tracked) if (t.status.state !== 'removed' && !present.has(t.metadata.name)) problems.push(`${t.metadata.name} is tracked as ${t.status.state} but gone from the engine`);
  return problems;
}

/**
 * Every deletion the engine reported: recorded `removable` before it happened, and at least
 * `deleteAfterMs` after the idle record that started the countdown. Returns violations and how
 * each deleted image's history ends (the agent's reason, or "found gone").
 */
export async function deletionsWereDue(socket: string, deletes: ReadonlyMap<string, number>, deleteAfterMs: number): Promise<{ problems: string[]; foundGone: number; recorded: number }> {
  const problems: string[] = [];
  let foundGone = 0;
  let recorded = 0;
  for (const [id, at] of deletes) {
    const history = (await auditLog(socket, id)).filter((r) => !r.event.startsWith('api.'));
    const removable = history.filter((r) => r.to === 'removable' && Date.parse(r.time) <= at).at(-1);
    if (!removable) {
      problems.push(`${id} was deleted at ${new Date(at).toISOString()} without a removable record before it`);
      continue;
    }
    const idle = history.filter((r) => r.to === 'idle' && Date.parse(r.time) <= Date.parse(removable.time)).at(-1);
    if (!idle) problems.push(`${id}: removable without an idle record`);
    else if (at < Date.parse(idle.time) + deleteAfterMs) problems.push(`${id} was deleted ${at - Date.parse(idle.time)} ms after it went idle (< ${deleteAfterMs})`);
    const last = history.at(-1);
    if (last?.to !== 'removed') problems.push(`${id} is gone from the engine but its history ends in ${last?.to}`);
    else if (/^found gone/.test(last.reason)) foundGone++;
    else recorded++;
  }
  return { problems, foundGone, recorded };
}
