/**
 * `--fleet` reads of the fleet's own resources, as the hub answers them from the node statuses in
 * `imagectl-nodes`: the nodes (`GET /v1/nodes[/NAME]`) and the images across devices (`GET
 * /v1/images[/NAME]?all&node&nodeSelector`: one item per node and image, carrying `status.node`).
 * FleetClient routes these paths here, so `get`, `wait` and completion read them as they read an
 * agent's, and cli/printer.ts prints them. `--node` and `--node-selector` pick devices; `-l`
 * selects the listed resource by its own labels (in `get`).
 */
import { matchesSelector, parseSelector, type Requirement } from '../../crd/fields/label-selector.js';
import { imageMatcher } from '../../crd/fleet/images.js';
import { fleetImageItems, nodeItem, type FleetImageItem, type NodeStatus } from '../../crd/fleet/node-status.js';
import { nodeStatuses } from '../../controller/fleet/hub-queries.js';
import type { Hub } from '../../controller/fleet/hub.js';
import { CliError } from '../client.js';
import type { DevicePick } from '../resources.js';

function selector(s: string | undefined, flag: string): Requirement[] | undefined {
  if (s === undefined) return undefined;
  const r = parseSelector(s);
  if (!r.ok) throw new CliError(`error: ${flag}: ${r.error}`);
  return r.requirements;
}

/** The nodes that `--node`/`--node-selector` (or `-l` for node-level commands) pick. */
export function pickNodes(all: readonly NodeStatus[], p: DevicePick): NodeStatus[] {
  if (p.node !== undefined && p.nodeSelector !== undefined) throw new CliError('error: give --node or a node selector, not both');
  const sel = selector(p.nodeSelector, 'node selector');
  return all.filter((n) => (p.node === undefined || n.node === p.node) && (!sel || matchesSelector(sel, n.labels)));
}

/** The images of the picked nodes that `name` names (all without it); removed ones only with `all`. */
export function fleetImages(nodes: readonly NodeStatus[], name: string | undefined, all: boolean): FleetImageItem[] {
  const match = name === undefined ? null : imageMatcher(name);
  const picked = nodes.map((n) => {
    const images = all ? n.images : n.images.filter((i) => i.status.state !== 'removed');
    return { ...n, images: match ? (match(images) as typeof images) : images };
  });
  return fleetImageItems(picked);
}

const notFound = (what: string, name: string) => Object.assign(new CliError(`${what} ${JSON.stringify(name)} not found`), { status: 404 });

/**
 * The answer to a read of the fleet's nodes or images, or undefined when `path` is not one. A name
 * no node holds is an empty list ("which devices still hold app:1.2": none), not a NotFound.
 */
export async function fleetRead(hub: Hub, path: string): Promise<unknown> {
  const url = new URL(path, 'http://hub');
  const m = /^\/v1\/(nodes|images)(?:\/([^/]+))?$/.exec(url.pathname);
  if (!m) return undefined;
  const name = m[2] === undefined ? undefined : decodeURIComponent(m[2]);
  const statuses = await nodeStatuses(hub);
  if (m[1] === 'nodes') {
    const now = Date.now();
    const items = statuses.filter((n) => name === undefined || n.node === name).map((n) => nodeItem(n, now));
    if (name === undefined) return { apiVersion: 'v1', kind: 'NodeList', items };
    if (items.length === 0) throw notFound('node', name);
    return items[0];
  }
  const q = url.searchParams;
  const nodes = pickNodes(statuses, { node: q.get('node') ?? undefined, nodeSelector: q.get('nodeSelector') ?? undefined });
  return { apiVersion: 'v1', kind: 'ImageList', items: fleetImages(nodes, name, q.get('all') === 'true') };
}


/** An object of the fleet's set, with the nodes that applied it: whether it applies is each device's decision. */
export function publishedView(o: { kind: string; metadata: { name: string } }, all: readonly { node: string; objects: string[] }[]): unknown {
  const ref = `${o.kind.toLowerCase()}/${o.metadata.name}`;
  const on = all.filter((n) => n.objects.includes(ref)).map((n) => n.node);
  const status = { appliesToNode: on.length > 0, reason: `applied on ${on.length} of ${all.length} node(s)${on.length && on.length <= 5 ? `: ${on.join(', ')}` : ''}`, decidedBy: 'none', nodes: on };
  // a Workload's phase is each node's (describe node): here it is where it was applied
  return { ...o, status: o.kind === 'ImagePolicy' ? status : { phase: 'Published', reason: status.reason, message: '', nodes: on } };
}
