import { Command } from 'commander';
import type { ImageItem } from '../../agent/views.js';
import type { ImagePolicy } from '../../crd/imagepolicy.js';
import type { AuditRecord } from '../../lib/audit.js';
import { clientFor, type GlobalOpts } from '../context.js';
import { ago, bytes, fields, indent, table, until } from '../output.js';
import { resourceOf } from './get.js';

interface DescribeImage {
  image: ImageItem;
  rules: { rule: string; imageName: string; deleteAfter: string; agentDownloadedOnly: boolean }[];
  skipped: { rule: string; why: string }[];
  keeps: { keep: string; pattern: string }[];
  events: AuditRecord[];
}

function eventsTable(events: AuditRecord[]): string {
  if (events.length === 0) return 'Events:  <none>\n';
  const rows = events.map((e) => [ago(e.time), `${e.from ?? '<new>'} -> ${e.to}`, e.event, e.actor, e.reason]);
  return `Events:\n${indent(table(['AGE', 'TRANSITION', 'EVENT', 'ACTOR', 'REASON'], rows))}`;
}

function describeImage(d: DescribeImage): string {
  const s = d.image.status;
  let out = fields([
    ['Image', d.image.metadata.name],
    ['Tags', s.tags.join(', ') || '<none>'],
    ['Repo Digests', s.repoDigests.join(', ') || '<none>'],
    ['State', s.state],
    ['Reason', s.reason],
    ['Agent Downloaded', s.agentDownloaded ? `true (${s.downloadedAt})` : 'false (discovered)'],
    ['First Seen', `${s.firstSeenAt} (${ago(s.firstSeenAt)})`],
    ['Last Used', s.state === 'in-use' ? 'in use now' : s.lastUsedAt ? `${s.lastUsedAt} (${ago(s.lastUsedAt)})` : '<none>'],
    ['Used By', s.usedBy.join(', ') || '<none>'],
    ['Winning Rule', s.rule ?? '<none>'],
    ['Remove At', s.protectedBy ? `never (${s.protectedBy})` : s.removeAt ? `${s.removeAt} (${until(s.removeAt)})` : '<none>'],
    ['Protected', s.protectedBy ? `yes: ${s.protectedBy}` : 'no'],
    ['Size', bytes(s.sizeBytes)],
    ...(s.lastError ? ([['Last Error', s.lastError]] as [string, string][]) : []),
  ]);
  out += 'Matching Rules (most aggressive first):\n';
  out += d.rules.length ? indent(table(['RULE', 'IMAGE NAME', 'DELETE AFTER', 'AGENT DOWNLOADED ONLY'], d.rules.map((r) => [r.rule, r.imageName, r.deleteAfter, String(r.agentDownloadedOnly)]))) : '  <none>\n';
  for (const k of d.skipped) out += `  (skipped ${k.rule}: ${k.why})\n`;
  out += `Keep: ${d.keeps.length ? d.keeps.map((k) => `${k.keep} (${k.pattern})`).join(', ') : '<none>'}\n`;
  return out + eventsTable(d.events);
}

type PolicyItem = ImagePolicy & { metadata: { creationTimestamp?: string; generation?: number; uid?: string }; status: { appliesToNode: boolean; reason: string } };

function describePolicy(p: PolicyItem): string {
  let out = fields([
    ['Name', p.metadata.name],
    ['Labels', Object.entries(p.metadata.labels ?? {}).map(([k, v]) => `${k}=${v}`).join(', ') || '<none>'],
    ['Created', p.metadata.creationTimestamp ?? '<unknown>'],
    ['Generation', String(p.metadata.generation ?? '')],
    ['Applies to this node', `${p.status.appliesToNode ? 'yes' : 'no'} (${p.status.reason})`],
  ]);
  const rules = p.spec.removal ?? [];
  out += 'Removal Rules:\n';
  out += rules.length
    ? indent(table(['RULE', 'IMAGE NAME', 'DELETE AFTER', 'AGENT DOWNLOADED ONLY'], rules.map((r, i) => [`${p.metadata.name}/removal[${i}]`, r.imageName, r.deleteAfter ?? `${r.deleteAfterMinutes}m`, String(r.agentDownloadedOnly ?? false)])))
    : '  <none>\n';
  out += `Keep: ${(p.spec.keep ?? []).join(', ') || '<none>'}\n`;
  return out;
}

export function describeCommand(): Command {
  return new Command('describe')
    .description('show details of an image or a policy: matching rules, why protected, recent transitions')
    .argument('<resource>', 'image | policy')
    .argument('<name>', 'image ID, tag or digest; or policy name')
    .action(async (resource: string, name: string, _o: unknown, cmd: Command) => {
      const client = clientFor(cmd.optsWithGlobals<GlobalOpts>());
      if (resourceOf(resource) === 'images') {
        process.stdout.write(describeImage(await client.request<DescribeImage>('GET', `/v1/images/${encodeURIComponent(name)}/describe`)));
      } else {
        process.stdout.write(describePolicy(await client.request<PolicyItem>('GET', `/v1/objects/imagepolicy/${encodeURIComponent(name)}`)));
      }
    });
}
