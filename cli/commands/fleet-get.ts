/**
 * `--fleet` reads: `get nodes`, `get images` across the fleet (one row per node and image, a NODE
 * column, `status.node` in JSON), `describe node`, and `audit` of the fleet's stream. `--node` and
 * `--node-selector` pick devices; `-l` selects the listed resource by its own labels.
 */
import type { ImageItem } from '../../crd/api/image.js';
import { matchesSelector, parseSelector, type Requirement } from '../../crd/fields/label-selector.js';
import { imageMatcher } from '../../crd/fleet/images.js';
import { fleetImageItems, nodeItem, type NodeItem, type NodeStatus } from '../../crd/fleet/node-status.js';
import { nodeStatuses } from '../../controller/fleet/hub-queries.js';
import { CliError } from '../client.js';
import { clientFor, type GlobalOpts } from '../context.js';
import { ago, bytes, fields, indent, parseOutput, shortId, table, toJson, toYaml, until, type OutputFormat } from '../output.js';
import { FleetClient } from './fleet-client.js';

export interface DevicePick {
  node?: string;
  nodeSelector?: string;
}

function selector(s: string | undefined, flag: string): Requirement[] | undefined {
  if (s === undefined) return undefined;
  const r = parseSelector(s);
  if (!r.ok) throw new CliError(`error: ${flag}: ${r.error}`);
  return r.requirements;
}

export function fleetClient(g: GlobalOpts): FleetClient {
  return clientFor(g) as FleetClient;
}

/** The nodes that `--node`/`--node-selector` (or `-l` for node-level commands) pick. */
export function pickNodes(all: readonly NodeStatus[], p: DevicePick): NodeStatus[] {
  if (p.node !== undefined && p.nodeSelector !== undefined) throw new CliError('error: give --node or a node selector, not both');
  const sel = selector(p.nodeSelector, 'node selector');
  return all.filter((n) => (p.node === undefined || n.node === p.node) && (!sel || matchesSelector(sel, n.labels)));
}

async function print(out: unknown, format: OutputFormat): Promise<boolean> {
  if (format !== 'json' && format !== 'yaml') return false;
  process.stdout.write(format === 'json' ? toJson(out) : await toYaml(out));
  return true;
}

function nodeRows(items: NodeItem[], wide: boolean): string {
  const headers = ['NAME', 'STATUS', 'REVISION', 'IMAGES', 'WORKLOADS', 'LAST SEEN', ...(wide ? ['DISK', 'REASON', 'LABELS'] : [])];
  const rows = items.map((n) => [
    n.metadata.name,
    n.status.ready ? 'Ready' : 'NotReady',
    n.status.appliedRevision === null ? '<none>' : String(n.status.appliedRevision),
    String(n.status.images.filter((i) => i.status.state !== 'removed').length),
    String(n.status.workloads.length),
    ago(n.status.lastSeen),
    ...(wide ? [n.status.disk ? `${Math.round(n.status.disk.usedRatio * 100)}%` : '<none>', n.status.reason, Object.entries(n.metadata.labels).map(([k, v]) => `${k}=${v}`).join(',') || '<none>'] : []),
  ]);
  return table(headers, rows);
}

export async function getNodes(g: GlobalOpts, name: string | undefined, o: { output?: string; selector?: string }): Promise<void> {
  const format = parseOutput(o.output);
  const sel = selector(o.selector, '-l');
  const hub = await fleetClient(g).hub();
  const now = Date.now();
  const items = (await nodeStatuses(hub)).filter((n) => (name === undefined || n.node === name) && (!sel || matchesSelector(sel, n.labels))).map((n) => nodeItem(n, now));
  if (name !== undefined && items.length === 0) throw new CliError(`Error from server (NotFound): node ${JSON.stringify(name)} not found`);
  if (await print(name !== undefined ? items[0] : { apiVersion: 'v1', kind: 'NodeList', items }, format)) return;
  if (items.length === 0) return void process.stderr.write('No resources found\n');
  if (format === 'name') return void process.stdout.write(items.map((n) => `node/${n.metadata.name}\n`).join(''));
  process.stdout.write(nodeRows(items, format === 'wide'));
}

type FleetImage = ImageItem & { status: ImageItem['status'] & { node: string } };

function imageRows(items: FleetImage[], wide: boolean): string {
  const headers = ['NODE', 'IMAGE ID', 'TAGS', 'STATE', 'LAST USED', 'RULE', 'REMOVE AT', 'SIZE', ...(wide ? ['DOWNLOADED', 'PROTECTED BY', 'DIGESTS'] : [])];
  const rows = items.map((i) => {
    const s = i.status;
    return [
      s.node, shortId(i.metadata.name), s.tags.join(',') || '<none>', s.state, s.state === 'in-use' ? 'now' : ago(s.lastUsedAt),
      s.rule ?? '<none>', s.protectedBy ? 'never' : until(s.removeAt), bytes(s.sizeBytes),
      ...(wide ? [s.agentDownloaded ? 'agent' : 'discovered', s.protectedBy ?? '<none>', s.repoDigests.join(',') || '<none>'] : []),
    ];
  });
  return table(headers, rows);
}

/** The images of the picked nodes that `name` names (all without it); removed ones only with `all`. */
export function fleetImages(nodes: readonly NodeStatus[], name: string | undefined, all: boolean): FleetImage[] {
  const match = name === undefined ? null : imageMatcher(name);
  const picked = nodes.map((n) => {
    const images = all ? n.images : n.images.filter((i) => i.status.state !== 'removed');
    return { ...n, images: match ? (match(images) as typeof images) : images };
  });
  return fleetImageItems(picked);
}

export async function getImages(g: GlobalOpts, name: string | undefined, o: DevicePick & { output?: string; selector?: string; all: boolean }): Promise<void> {
  const format = parseOutput(o.output);
  const sel = selector(o.selector, '-l');
  const hub = await fleetClient(g).hub();
  const nodes = pickNodes(await nodeStatuses(hub), o);
  const items = fleetImages(nodes, name, o.all).filter((i) => !sel || matchesSelector(sel, (i.metadata as { labels?: Record<string, string> }).labels));
  if (await print({ apiVersion: 'v1', kind: 'ImageList', items }, format)) return;
  if (items.length === 0) return void process.stderr.write(name ? `No node holds ${name}\n` : 'No resources found\n');
  if (format === 'name') return void process.stdout.write(items.map((i) => `${i.status.node}/image/${i.metadata.name}\n`).join(''));
  process.stdout.write(imageRows(items, format === 'wide'));
}

export async function describeNode(g: GlobalOpts, name: string): Promise<void> {
  const hub = await fleetClient(g).hub();
  const s = (await nodeStatuses(hub)).find((n) => n.node === name);
  if (!s) throw new CliError(`Error from server (NotFound): node ${JSON.stringify(name)} not found`);
  const n = nodeItem(s, Date.now());
  const st = n.status;
  let out = fields([
    ['Name', name],
    ['Labels', Object.entries(n.metadata.labels).map(([k, v]) => `${k}=${v}`).join(', ') || '<none>'],
    ['Ready', `${st.ready} (${st.reason})`],
    ['Last seen', `${st.lastSeen} (${ago(st.lastSeen)})`],
    ['Applied revision', st.appliedRevision === null ? '<none>' : String(st.appliedRevision)],
    ['Objects', st.objects.join(', ') || '<none>'],
    ['Engine', st.engine.reachable ? 'reachable' : `unreachable: ${st.engine.error}`],
    ['Disk', st.disk ? `${bytes(st.disk.usedBytes)} of ${bytes(st.disk.totalBytes)} used (${st.disk.path})` : '<unknown>'],
  ]);
  out += `Workloads:\n${st.workloads.length ? st.workloads.map((w) => `  ${w.name}: ${w.phase} ${w.reason} ${w.resolvedDigest ?? ''}`.trimEnd()).join('\n') : '  <none>'}\n`;
  const live = fleetImages([s], undefined, false);
  out += `Images:\n${live.length ? indent(imageRows(live, false)) : '  <none>\n'}`;
  process.stdout.write(out);
}
