/**
 * The hub's change feed, in the shape of the agent's `/v1/watch` (controller/api/routes/watch.ts):
 * the current objects as ADDED, then SYNCED, then ADDED, MODIFIED or DELETED per change. It follows
 * KV watches (nothing polls): `imagectl-nodes` for nodes and the images across devices, and
 * `imagectl-manifests` as well for the published policies and workloads (whose status says where
 * they were applied). A heartbeat that changes nothing but a node's `lastSeen` is not a change; a
 * node that stops writing turns Stale 90 s after its last status, and that is one.
 */
import type { Hub } from '../../controller/fleet/hub.js';
import { watchBucket } from '../../controller/fleet/buckets.js';
import { watchNodes, type NodeEvent } from '../../controller/fleet/hub-queries.js';
import { COMMIT_KEY, STALE_AFTER_MS } from '../../crd/fleet/names.js';
import { nodeItem, type NodeStatus } from '../../crd/fleet/node-status.js';
import { fleetImages, pickNodes, publishedView } from './fleet-read.js';

type Emit = (item: unknown) => void;

/** Keyed objects in groups (a node's images), and what changed when a group is seen anew. */
class Differ {
  private readonly seen = new Map<string, { text: string; object: unknown }>();
  private readonly groups = new Map<string, Set<string>>();

  constructor(private readonly emit: Emit, private readonly comparable: (o: unknown) => unknown = (o) => o) {}

  update(group: string, now: ReadonlyMap<string, unknown>): void {
    for (const [key, object] of now) {
      const text = JSON.stringify(this.comparable(object));
      const was = this.seen.get(key);
      this.seen.set(key, { text, object });
      if (was?.text !== text) this.emit({ type: was === undefined ? 'ADDED' : 'MODIFIED', object });
    }
    for (const key of this.groups.get(group) ?? []) {
      const was = this.seen.get(key);
      if (now.has(key) || !was) continue;
      this.seen.delete(key);
      this.emit({ type: 'DELETED', object: was.object });
    }
    this.groups.set(group, new Set(now.keys()));
  }
}

const withoutLastSeen = (o: unknown) => {
  const n = o as { status: { lastSeen?: string } };
  return { ...n, status: { ...n.status, lastSeen: undefined } };
};

/** Nodes: a node's item on each status it writes, and once more when it turns Stale. */
function nodesFeed(signal: AbortSignal, emit: Emit): (e: NodeEvent) => void {
  const differ = new Differ(emit, withoutLastSeen);
  const stale = new Map<string, NodeJS.Timeout>();
  signal.addEventListener('abort', () => stale.forEach((t) => clearTimeout(t)));
  const show = (node: string, s: NodeStatus | null) => differ.update(node, s ? new Map([[node, nodeItem(s, Date.now())]]) : new Map());
  return (e) => {
    if (e === 'synced') return emit({ type: 'SYNCED' });
    clearTimeout(stale.get(e.node));
    show(e.node, e.status);
    if (!e.status) return;
    const s = e.status;
    const at = Date.parse(s.lastSeen) + STALE_AFTER_MS + 1 - Date.now();
    if (at > 0) stale.set(e.node, setTimeout(() => show(e.node, s), at).unref());
  };
}

/** The images across devices: a node's status says which of its images changed. */
function imagesFeed(q: URLSearchParams, emit: Emit): (e: NodeEvent) => void {
  const differ = new Differ(emit);
  const all = q.get('all') === 'true';
  const pick = { node: q.get('node') ?? undefined, nodeSelector: q.get('nodeSelector') ?? undefined };
  return (e) => {
    if (e === 'synced') return emit({ type: 'SYNCED' });
    const picked = e.status ? pickNodes([e.status], pick) : [];
    differ.update(e.node, new Map(fleetImages(picked, undefined, all).map((i) => [`${e.node}/${i.metadata.name}`, i])));
  };
}

/** The published policies or workloads: the set of the current `_commit`, with where each was applied. */
async function publishedFeed(hub: Hub, kind: 'ImagePolicy' | 'Workload', signal: AbortSignal, emit: Emit): Promise<void> {
  const differ = new Differ(emit);
  const statuses = new Map<string, NodeStatus>();
  let objects: { kind: string; metadata: { name: string } }[] = [];
  let ready = { nodes: false, set: false, said: false };
  let timer: NodeJS.Timeout | null = null;
  const show = () => {
    timer = null;
    if (!ready.nodes || !ready.set) return;
    // by node name, as a read of the bucket lists them
    const all = [...statuses.values()].sort((a, b) => (a.node < b.node ? -1 : a.node > b.node ? 1 : 0));
    differ.update('', new Map(objects.filter((o) => o.kind === kind).map((o) => [o.metadata.name, publishedView(o, all)])));
    if (!ready.said) emit({ type: 'SYNCED' });
    ready.said = true;
  };
  // node statuses come in bursts (a rollout): their views are made again at most every 250 ms
  const soon = () => void (timer ??= setTimeout(show, ready.said ? 250 : 0));
  signal.addEventListener('abort', () => timer && clearTimeout(timer));
  const readSet = async () => {
    objects = (await hub.live()).objects;
    ready = { ...ready, set: true };
    soon();
  };
  await Promise.all([
    watchNodes(hub, signal, (e) => {
      if (e === 'synced') ready = { ...ready, nodes: true };
      else if (e.status) statuses.set(e.node, e.status);
      else statuses.delete(e.node);
      soon();
    }),
    watchBucket(hub.manifests, signal, (e) => {
      if (e === 'synced' || e.key === COMMIT_KEY) void readSet().catch(() => undefined);
    }),
  ]);
}

/** Follow the feed `q` asks for (`kind=nodes|images|imagepolicies|workloads`, `all`, `node`, `nodeSelector`) until `signal` aborts. */
export async function fleetFeed(hub: Hub, q: URLSearchParams, signal: AbortSignal, emit: Emit): Promise<void> {
  const kind = q.get('kind');
  if (kind === 'nodes') return watchNodes(hub, signal, nodesFeed(signal, emit));
  if (kind === 'images') return watchNodes(hub, signal, imagesFeed(q, emit));
  if (kind === 'imagepolicies') return publishedFeed(hub, 'ImagePolicy', signal, emit);
  if (kind === 'workloads') return publishedFeed(hub, 'Workload', signal, emit);
  throw Object.assign(new Error(`no change feed for ${JSON.stringify(kind)} with --fleet`), { status: 400 });
}
