/**
 * One fleet rollout, timed per node: publish a set, then follow `imagectl-nodes` until every node's
 * status shows a revision past the one before the publish. The measuring side reads only each
 * status's key and its `appliedRevision` (not the whole ~20 kB JSON): on a 2-core machine the
 * bench's own parsing would take CPU from the agents it measures.
 */
import type { KvEntry } from '@nats-io/kv';
import type { Hub } from '../../../controller/fleet/hub.js';
import { sleep } from './stats.js';

const REVISION = /"appliedRevision":(\d+)/;

export interface Rollout {
  /** ms from the publish to each node's report, in arrival order */
  times: number[];
  /** the `_commit` revision published */
  revision: number;
  /** the nodes that had not reported it when the wait ended */
  missing: number;
}

export async function timeRollout(hub: Hub, nodes: number, objects: unknown[], o: { applyset: string; timeoutMs?: number }): Promise<Rollout> {
  const before = (await hub.live()).revision;
  const arrived = new Map<string, number>();
  const w = await hub.places.nodes.watch({ include: 'updates' as never });
  let t0 = 0;
  const done = (async () => {
    for await (const e of w as AsyncIterable<KvEntry>) {
      if (arrived.has(e.key) || e.operation !== 'PUT') continue;
      const m = REVISION.exec(e.string());
      if (m && Number(m[1]) > before) arrived.set(e.key, performance.now() - t0);
      if (arrived.size >= nodes) break;
    }
  })();
  t0 = performance.now();
  const r = await hub.apply({ objects, prune: true, applyset: o.applyset });
  await Promise.race([done, sleep(o.timeoutMs ?? 120_000)]);
  w.stop();
  return { times: [...arrived.values()], revision: r.revision ?? before, missing: nodes - arrived.size };
}
