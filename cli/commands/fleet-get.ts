/** `--fleet describe node NAME`: one node's status, its workloads and its images. */
import { nodeStatuses } from '../../controller/fleet/hub-queries.js';
import { nodeItem } from '../../crd/fleet/node-status.js';
import { CliError } from '../client.js';
import { clientFor, type GlobalOpts } from '../context.js';
import { nodeDiskText } from '../disk.js';
import { ago, bytes, fields, indent, printable, table } from '../output.js';
import { FLEET_RESOURCES } from '../resources.js';
import { columnsOf } from '../tables.js';
import { FleetClient } from './fleet-client.js';
import { fleetImages } from './fleet-read.js';

export function fleetClient(g: GlobalOpts): FleetClient {
  return clientFor(g) as FleetClient;
}

export async function describeNode(g: GlobalOpts, name: string): Promise<void> {
  const hub = await fleetClient(g).hub();
  const s = (await nodeStatuses(hub)).find((n) => n.node === name);
  if (!s) throw new CliError(`Error from server (NotFound): nodes ${JSON.stringify(name)} not found`);
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
    ['Disk', nodeDiskText(st.disk)],
  ]);
  out += `Workloads:\n${st.workloads.length ? st.workloads.map((w) => `  ${printable(`${w.name}: ${w.phase} ${w.reason} ${w.resolvedDigest ?? ''}`.trimEnd())}`).join('\n') : '  <none>'}\n`;
  const live = fleetImages([s], undefined, false);
  const images = FLEET_RESOURCES.find((r) => r.fleet)!;
  const t = columnsOf(images, live, false);
  out += `Images:\n${live.length ? indent(table(t.headers, t.rows)) : '  <none>\n'}`;
  process.stdout.write(out);
}
