import { Command } from 'commander';
import type { ImageItem } from '../../crd/api/image.js';
import type { Stored } from '../../crd/api/object.js';
import type { ImagePolicy } from '../../crd/imagepolicy/type.js';
import type { Workload } from '../../crd/workload/type.js';
import type { AuditRecord } from '../../crd/api/audit.js';
import type { Client } from '../client.js';
import { clientFor, type GlobalOpts } from '../context.js';
import { CliError } from '../client.js';
import { ago, bytes, fields, indent, table, until } from '../output.js';
import { fromServer, parseTargets, type Resource, type Target } from '../resources.js';

interface DescribeImage {
  image: ImageItem;
  rules: { rule: string; imageName: string; deleteAfter: string; agentDownloadedOnly: boolean }[];
  skipped: { rule: string; why: string }[];
  keeps: { keep: string; pattern: string }[];
  events: AuditRecord[];
}

function eventsTable(events: AuditRecord[]): string {
  if (events.length === 0) return 'Events:  <none>\n';
  // API-call records (event api.pull, api.rmi, …) are not transitions: show their outcome
  const transition = (e: AuditRecord) => (e.event.startsWith('api.') ? `(${e.to})` : `${e.from ?? '<new>'} -> ${e.to}`);
  const rows = events.map((e) => [ago(e.time), transition(e), e.event, e.actor, e.reason]);
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

type PolicyItem = Stored<ImagePolicy> & {
  status: { appliesToNode: boolean; reason: string; manifests?: { dir: string; applyset: string; lastAppliedAt: string | null; error: string | null } };
};

/** Rows for the fields a policy only sometimes has: Open Horizon fields, annotations, the --manifests set. */
function optionalPolicyRows(p: PolicyItem): [string, string][] {
  const rows: [string, string][] = [];
  const s = p.spec;
  if (s.enabled !== undefined) rows.push(['Enabled', String(s.enabled)]);
  if (s.constraints?.length) rows.push(['Constraints', s.constraints.join(' AND ')]);
  if (s.properties) rows.push(['Properties', s.properties.map((x) => `${x.name}=${x.value}${x.type ? ` (${x.type})` : ''}`).join(', ') || '<none>']);
  if (s.patterns?.length) rows.push(['Patterns', s.patterns.join(', ')]);
  const ann = Object.entries(p.metadata.annotations ?? {});
  if (ann.length) rows.push(['Annotations', ann.map(([k, v]) => `${k}=${v}`).join(', ')]);
  const m = p.status.manifests;
  if (m) {
    rows.push(['Managed By', `imagectl agent --manifests ${m.dir} (applyset ${m.applyset}, last applied ${m.lastAppliedAt ?? 'never'})`]);
    rows.push(['Sync Error', m.error ? `${m.error.replace(/:\n/g, ': ').split('\n').join('; ')} (the last good set stays applied)` : '<none>']);
  }
  return rows;
}

function describePolicy(p: PolicyItem, events: AuditRecord[] = []): string {
  let out = fields([
    ['Name', p.metadata.name],
    ['Labels', Object.entries(p.metadata.labels ?? {}).map(([k, v]) => `${k}=${v}`).join(', ') || '<none>'],
    ['Created', p.metadata.creationTimestamp ?? '<unknown>'],
    ['Generation', String(p.metadata.generation ?? '')],
    ['Applies to this node', `${p.status.appliesToNode ? 'yes' : 'no'} (${p.status.reason})`],
    ...optionalPolicyRows(p),
  ]);
  const rules = p.spec.removal ?? [];
  out += 'Removal Rules:\n';
  out += rules.length
    ? indent(table(['RULE', 'IMAGE NAME', 'DELETE AFTER', 'AGENT DOWNLOADED ONLY'], rules.map((r, i) => [`${p.metadata.name}/removal[${i}]`, r.imageName, r.deleteAfter ?? `${r.deleteAfterMinutes}m`, String(r.agentDownloadedOnly ?? false)])))
    : '  <none>\n';
  out += `Keep: ${(p.spec.keep ?? []).join(', ') || '<none>'}\n`;
  return out + eventsTable(events);
}

type WorkloadDescribe = Stored<Workload> & {
  status: {
    phase: string; reason: string; message: string; imageId?: string | null; resolvedDigest?: string | null; containerName?: string; containerId?: string | null;
    observedCounters?: { refreshImage: number; restart: number; purge: number } | null;
    conditions?: { type: string; status: string; reason: string; message: string; lastTransitionTime: string }[];
    events?: { time: string; type: string; reason: string; message: string }[];
  };
};

function describeWorkload(w: WorkloadDescribe): string {
  const s = w.status;
  const c = (k: 'refreshImage' | 'restart' | 'purge') => `${w.spec[k] ?? 0} (acted on: ${s.observedCounters ? s.observedCounters[k] : '<none>'})`;
  let out = fields([
    ['Name', w.metadata.name],
    ['Created', w.metadata.creationTimestamp ?? '<unknown>'],
    ['Image', w.spec.image],
    ['Pull Policy', w.spec.imagePullPolicy ?? 'agent default'],
    ...(w.spec.archive ? ([['Archive', w.spec.archive]] as [string, string][]) : []),
    ['Command', w.spec.command ? JSON.stringify(w.spec.command) : '<image default>'],
    ['Env', Object.entries(w.spec.env ?? {}).map(([k, v]) => `${k}=${v}`).join(', ') || '<none>'],
    ['Phase', s.phase],
    ['Reason', s.reason || '<none>'],
    ['Message', s.message || '<none>'],
    ['Image ID', s.imageId ?? '<none>'],
    ['Resolved Digest', s.resolvedDigest ?? '<none>'],
    ['Container', s.containerName ? `${s.containerName}${s.containerId ? ` (${s.containerId.slice(0, 12)})` : ''}` : '<none>'],
    ['Refresh Image', c('refreshImage')],
    ['Restart', c('restart')],
    ['Purge', c('purge')],
  ]);
  const conds = s.conditions ?? [];
  out += conds.length ? `Conditions:\n${indent(table(['TYPE', 'STATUS', 'REASON', 'MESSAGE'], conds.map((x) => [x.type, x.status, x.reason, x.message])))}` : 'Conditions:  <none>\n';
  const evs = s.events ?? [];
  out += evs.length ? `Events:\n${indent(table(['AGE', 'TYPE', 'REASON', 'MESSAGE'], evs.map((e) => [ago(e.time), e.type, e.reason, e.message])))}` : 'Events:  <none>\n';
  return out;
}

/** The describe text of one object. */
async function describeOne(client: Client, t: Target): Promise<string> {
  const n = encodeURIComponent(t.name);
  if (t.resource.name === 'workloads') return describeWorkload(await client.request<WorkloadDescribe>('GET', `/v1/workloads/${n}`));
  if (t.resource.name === 'images') return describeImage(await client.request<DescribeImage>('GET', `/v1/images/${n}/describe`));
  const d = await client.request<{ object: PolicyItem; events: AuditRecord[] }>('GET', `/v1/objects/imagepolicy/${n}/describe`);
  return describePolicy(d.object, d.events);
}

export function describeCommand(): Command {
  return new Command('describe')
    .description('show details of images, policies or workloads: matching rules, why protected, recent transitions')
    .argument('<resource>', 'image | policy | workload, or TYPE/NAME (with --fleet also: node)')
    .argument('[names...]', 'image ID, tag or digest; or policy or workload name (none: every object of the type)')
    .action(async (resource: string, rest: string[], _o: unknown, cmd: Command) => {
      const g = cmd.optsWithGlobals<GlobalOpts>();
      if (/^(nodes?|no)$/i.test(resource)) {
        if (g.fleet === undefined) throw new CliError('error: nodes are the fleet\'s: give --fleet URL');
        if (rest.length !== 1) throw new CliError('error: describe node needs one node name');
        return (await import('./fleet-get.js')).describeNode(g, rest[0]!);
      }
      const client = clientFor(g);
      const { resources, names } = parseTargets([resource, ...rest]);
      const targets = names.length ? names : await everyObject(client, resources);
      let failed = false;
      const texts: string[] = [];
      for (const t of targets) {
        try {
          texts.push(await describeOne(client, t));
        } catch (err) {
          if ((err as { status?: number }).status === undefined) throw err; // the agent is unreachable
          process.stderr.write(`${(fromServer(err, t.resource, t.name) as Error).message}\n`);
          failed = true;
        }
      }
      process.stdout.write(texts.join('\n'));
      if (targets.length === 0) process.stderr.write('No resources found\n');
      if (failed) process.exitCode = 1;
    });
}

async function everyObject(client: Client, resources: readonly Resource[]): Promise<Target[]> {
  const out: Target[] = [];
  for (const resource of resources) {
    const list = await client.request<{ items: { metadata: { name: string } }[] }>('GET', resource.listPath(false));
    for (const i of list.items) out.push({ resource, name: i.metadata.name });
  }
  return out;
}
