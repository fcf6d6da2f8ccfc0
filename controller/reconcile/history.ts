/**
 * The engine's history while the agent was not listening: at start and on every reconnect the agent
 * replays `GET /events?since=<its cursor>&until=<now>` before it decides anything. The engine keeps
 * only its last events in memory (256 in engine 20.10) and loses them when it restarts, so the replay
 * is complete only when it still holds the last event the agent recorded, and returned fewer than
 * the engine keeps. Within a run, the event stream covers everything up to the moment the engine
 * goes away, so after a reconnect only the count decides (and at start too, when the engine had gone
 * away while the agent listened, every event until then recorded). When the history cannot be had, every
 * image counts as used at the end of the window that was not seen (uses.ts `Gap`).
 */
import type { IncomingMessage } from 'node:http';
import { LineSplitter } from '../../crd/api/lines.js';
import type { EngineClient } from '../engine/client.js';
import type { EventCursor } from '../store/store.js';
import { eventKey, nanoToParam, parseEvent, type EngineEvent } from './uses.js';

/** How many events engine 20.10 keeps for a replay (moby daemon/events: eventsLimit). */
export const ENGINE_EVENT_BUFFER = 256;
/** A replay that has not ended by then is taken as history that cannot be had. */
const REPLAY_TIMEOUT_MS = 10_000;

export const EVENT_FILTERS = JSON.stringify({ type: ['container', 'image'] });

export type Verdict = { complete: true } | { complete: false; why: string };

/**
 * Is the replay since `cursor` the whole history? `atStart`: the first connect of this run, when
 * the agent was not listening before. Pure.
 */
export function replayVerdict(cursor: EventCursor, replayed: readonly EngineEvent[], atStart: boolean): Verdict {
  if (replayed.length >= ENGINE_EVENT_BUFFER) return { complete: false, why: `the engine replayed ${replayed.length} events, as many as it keeps, so older ones may be gone` };
  // within a run, or when the engine went away while the agent listened: the stream saw all until then
  if (!atStart || cursor.engineGone) return { complete: true };
  if (cursor.key === null) return { complete: false, why: 'the agent had recorded no engine event to find again' };
  if (!replayed.some((e) => eventKey(e) === cursor.key)) return { complete: false, why: 'the engine no longer holds the last event the agent recorded (it restarted since, or dropped it)' };
  return { complete: true };
}

/** The events the engine still holds from `sinceNano` to `untilNano`, oldest first. */
export async function replayEvents(docker: EngineClient, sinceNano: string, untilNano: string): Promise<EngineEvent[]> {
  const stream = await docker.getEvents({ filters: EVENT_FILTERS, since: nanoToParam(sinceNano), until: nanoToParam(untilNano) });
  return readAll(stream);
}

function readAll(stream: IncomingMessage): Promise<EngineEvent[]> {
  return new Promise((resolve, reject) => {
    const lines = new LineSplitter();
    const out: EngineEvent[] = [];
    const take = (l: string) => {
      const e = parseEvent(l);
      if (e) out.push(e);
    };
    const timer = setTimeout(() => {
      stream.destroy();
      reject(new Error(`the engine's event replay did not end within ${REPLAY_TIMEOUT_MS / 1000} s`));
    }, REPLAY_TIMEOUT_MS);
    stream.on('data', (c: Buffer | string) => lines.push(c).forEach(take));
    let ended = false;
    stream.on('end', () => {
      ended = true;
      clearTimeout(timer);
      const last = lines.end();
      if (last) take(last);
      resolve(out);
    });
    const cut = (err?: Error) => {
      clearTimeout(timer);
      if (!ended) reject(err ?? new Error('the engine\'s event replay was cut before it ended'));
    };
    stream.on('error', cut);
    stream.on('close', () => cut());
  });
}
