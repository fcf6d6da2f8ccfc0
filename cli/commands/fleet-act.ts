/**
 * `--fleet` audit and actions: the fleet's audit stream (`audit [--node N] [--image REF] [--since]
 * [-f]`), and `pull REF (--node N | -l SEL)` / `rmi REF [--node N | -l SEL]` sent to each chosen
 * device on `imagectl.cmd.<node>`, one result line per device, non-zero exit if any failed. `rmi`
 * goes only to the devices whose inventory holds the image.
 */
import { imageMatcher } from '../../crd/fleet/images.js';
import { commandNode, nodeStatuses, readAudit } from '../../controller/fleet/hub-queries.js';
import { CliError } from '../client.js';
import type { GlobalOpts } from '../context.js';
import { parseOutput, shortId } from '../output.js';
import { fleetClient, pickNodes } from './fleet-get.js';

const COMMAND_TIMEOUT_MS = 120_000;

export async function fleetAudit(g: GlobalOpts, o: { node?: string; image?: string; since?: number; follow: boolean; output?: string }): Promise<void> {
  const format = parseOutput(o.output, ['json']);
  const hub = await fleetClient(g).hub();
  const match = o.image === undefined ? null : imageMatcher(o.image);
  let header = false;
  let count = 0;
  const stop = new AbortController();
  process.once('SIGINT', () => stop.abort());
  await readAudit(hub, { node: o.node, since: o.since, follow: o.follow, signal: stop.signal }, (r) => {
    if (match) {
      const entry = { id: r.image ?? '', status: { tags: r.tags, repoDigests: [], state: 'present' } };
      if (match([entry]).length === 0) return;
    }
    count++;
    if (format === 'json') {
      process.stdout.write(`${JSON.stringify({ node: r.node, time: r.time, image: r.image, tags: r.tags, from: r.from, to: r.to, event: r.event, reason: r.reason, actor: r.actor })}\n`);
      return;
    }
    if (!header) {
      process.stdout.write(`${'NODE'.padEnd(16)}   ${'TIME'.padEnd(24)}   ${'IMAGE'.padEnd(12)}   ${'TRANSITION'.padEnd(24)}   ${'TAGS'.padEnd(24)}   REASON\n`);
      header = true;
    }
    const tr = r.event.startsWith('api.') ? `${r.event} -> ${r.to} (${r.actor})` : `${r.from ?? '<new>'} -> ${r.to}`;
    process.stdout.write(`${r.node.padEnd(16)}   ${r.time.padEnd(24)}   ${(r.image ? shortId(r.image) : '-').padEnd(12)}   ${tr.padEnd(24)}   ${(r.tags.join(',') || '<none>').padEnd(24)}   ${r.reason}\n`);
  });
  if (count === 0 && format !== 'json') process.stderr.write('No audit records found\n');
}

/** Send `op REF` to the chosen devices; one line per device. */
export async function fleetAct(g: GlobalOpts, op: 'pull' | 'rmi', ref: string, o: { node?: string; selector?: string }): Promise<void> {
  if (op === 'pull' && o.node === undefined && o.selector === undefined) throw new CliError('error: fleet pull needs --node N or -l SELECTOR: which devices should pre-stage the image?');
  const hub = await fleetClient(g).hub();
  let nodes = pickNodes(await nodeStatuses(hub), { node: o.node, nodeSelector: o.selector });
  if (o.node !== undefined && nodes.length === 0) throw new CliError(`error: node ${JSON.stringify(o.node)} is not in the fleet (no status in imagectl-nodes)`);
  if (op === 'rmi') {
    const match = imageMatcher(ref);
    nodes = nodes.filter((n) => match(n.images.filter((i) => i.status.state !== 'removed')).length > 0);
    if (nodes.length === 0) {
      process.stderr.write(`no device holds ${ref}\n`);
      return;
    }
  }
  if (nodes.length === 0) throw new CliError('error: the selector picks no device');
  const results = await Promise.all(nodes.map((n) => commandNode(hub, n.node, { op, ref }, COMMAND_TIMEOUT_MS)));
  let failed = 0;
  for (const r of results) {
    if (r.ok) process.stdout.write(`${r.node}: ${r.message}\n`);
    else {
      failed++;
      process.stdout.write(`${r.node}: error: ${r.message}\n`);
    }
  }
  if (failed) {
    process.stderr.write(`error: ${failed} of ${results.length} device(s) failed\n`);
    process.exitCode = 1;
  }
}
