import { Command } from 'commander';
import type { ImageItem } from '../../crd/api/image.js';
import type { Stored } from '../../crd/api/object.js';
import type { ImagePolicy } from '../../crd/imagepolicy/type.js';
import type { Workload } from '../../crd/workload/type.js';
import { CliError } from '../client.js';
import { clientFor, type GlobalOpts } from '../context.js';
import { ago, bytes, parseOutput, shortDuration, shortId, table, toJson, toYaml, until, type OutputFormat } from '../output.js';
import { matchesSelector, parseSelector } from '../../crd/fields/label-selector.js';

type PolicyItem = Stored<ImagePolicy> & { status: { appliesToNode: boolean; reason: string } };

export type Resource = 'images' | 'policies' | 'workloads';

export const RESOURCES: Record<string, Resource> = {
  image: 'images', images: 'images', img: 'images',
  policy: 'policies', policies: 'policies', imagepolicy: 'policies', imagepolicies: 'policies', ip: 'policies',
  workload: 'workloads', workloads: 'workloads', wl: 'workloads',
};

export function resourceOf(s: string): Resource {
  const r = RESOURCES[s.toLowerCase()];
  if (!r) throw new CliError(`error: the server doesn't have a resource type "${s}" (known: images, policies, workloads)`);
  return r;
}

const LIST_KIND: Record<Resource, string> = { images: 'ImageList', policies: 'ImagePolicyList', workloads: 'WorkloadList' };

function pathOf(kind: Resource, name: string | undefined, all: boolean): string {
  const n = name ? `/${encodeURIComponent(name)}` : '';
  if (kind === 'images') return name ? `/v1/images${n}` : `/v1/images${all ? '?all=true' : ''}`;
  if (kind === 'workloads') return `/v1/workloads${n}`;
  return `/v1/objects/imagepolicy${n}`;
}

export type WorkloadItem = Stored<Workload> & {
  status: { phase: string; reason: string; message: string; imageId?: string | null; resolvedDigest?: string | null; containerName?: string; containerId?: string | null };
};

function printWorkloads(items: WorkloadItem[], format: OutputFormat): void {
  if (format === 'name') {
    for (const w of items) process.stdout.write(`workload/${w.metadata.name}\n`);
    return;
  }
  const wide = format === 'wide';
  const headers = ['NAME', 'IMAGE', 'PHASE', 'REASON', 'DIGEST', 'AGE', ...(wide ? ['IMAGE ID', 'CONTAINER', 'PULL POLICY', 'MESSAGE'] : [])];
  const rows = items.map((w) => [
    w.metadata.name,
    w.spec.image,
    w.status.phase,
    w.status.reason || '<none>',
    w.status.resolvedDigest ? w.status.resolvedDigest.slice(0, 19) : '<none>',
    w.metadata.creationTimestamp ? shortDuration(Date.now() - Date.parse(w.metadata.creationTimestamp)) : '<unknown>',
    ...(wide ? [w.status.imageId ? shortId(w.status.imageId) : '<none>', w.status.containerName ?? '<none>', w.spec.imagePullPolicy ?? 'default', w.status.message] : []),
  ]);
  process.stdout.write(table(headers, rows));
}

function printImages(items: ImageItem[], format: OutputFormat): void {
  if (format === 'name') {
    for (const i of items) process.stdout.write(`image/${i.metadata.name}\n`);
    return;
  }
  const wide = format === 'wide';
  const headers = ['IMAGE ID', 'TAGS', 'STATE', 'LAST USED', 'RULE', 'REMOVE AT', 'SIZE', ...(wide ? ['UNIQUE SIZE', 'DOWNLOADED', 'PROTECTED BY', 'USED BY', 'DIGESTS'] : [])];
  const rows = items.map((i) => {
    const s = i.status;
    return [
      shortId(i.metadata.name),
      s.tags.join(',') || '<none>',
      s.state,
      s.state === 'in-use' ? 'now' : ago(s.lastUsedAt),
      s.rule ?? '<none>',
      s.protectedBy ? 'never' : until(s.removeAt),
      bytes(s.sizeBytes),
      ...(wide ? [s.uniqueSizeBytes == null ? '<unknown>' : bytes(s.uniqueSizeBytes), s.agentDownloaded ? 'agent' : 'discovered', s.protectedBy ?? '<none>', s.usedBy.join(',') || '<none>', s.repoDigests.join(',') || '<none>'] : []),
    ];
  });
  process.stdout.write(table(headers, rows));
}

function printPolicies(items: PolicyItem[], format: OutputFormat): void {
  if (format === 'name') {
    for (const p of items) process.stdout.write(`imagepolicy/${p.metadata.name}\n`);
    return;
  }
  const wide = format === 'wide';
  const headers = ['NAME', 'RULES', 'KEEP', 'APPLIES', 'AGE', ...(wide ? ['SELECTOR REASON', 'LABELS'] : [])];
  const rows = items.map((p) => [
    p.metadata.name,
    String(p.spec.removal?.length ?? 0),
    String(p.spec.keep?.length ?? 0),
    p.status.appliesToNode ? 'yes' : 'no',
    p.metadata.creationTimestamp ? shortDuration(Date.now() - Date.parse(p.metadata.creationTimestamp)) : '<unknown>',
    ...(wide ? [p.status.reason, Object.entries(p.metadata.labels ?? {}).map(([k, v]) => `${k}=${v}`).join(',') || '<none>'] : []),
  ]);
  process.stdout.write(table(headers, rows));
}

export function getCommand(): Command {
  return new Command('get')
    .description('list images, policies or workloads')
    .argument('<resource>', 'images | policies | workloads')
    .argument('[name]', 'one object: a policy name, or an image ID, tag or digest')
    .option('-o, --output <format>', 'wide|json|yaml|name')
    .option('-A, --all', 'images: include removed ones (their history stays in the audit log)', false)
    .option('-l, --selector <selector>', "label selector: k=v, k!=v, 'k in (a,b)', 'k notin (a,b)', k, !k (comma: and)")
    .action(async (resource: string, name: string | undefined, opts: { output?: string; all: boolean; selector?: string }, cmd: Command) => {
      const kind = resourceOf(resource);
      const format = parseOutput(opts.output);
      const selector = opts.selector === undefined ? undefined : parseSelector(opts.selector);
      if (selector && !selector.ok) throw new CliError(`error: ${selector.error}`);
      if (selector && name) throw new CliError('error: a name and a label selector (-l) cannot be used together');
      const client = clientFor(cmd.optsWithGlobals<GlobalOpts>());
      const path = pathOf(kind, name, opts.all);
      const res = await client.request<{ items?: unknown[]; engine?: { reachable: boolean; error: string | null }; manifests?: { dir: string; error: string | null } }>('GET', path);
      const selected = (res.items ?? []).filter((i) => !selector?.ok || matchesSelector(selector.requirements, (i as { metadata?: { labels?: Record<string, string> } }).metadata?.labels));
      const items = (name ? [res] : selected) as never[];
      if (format === 'json' || format === 'yaml') {
        const out = name ? res : { apiVersion: 'v1', kind: LIST_KIND[kind], items };
        process.stdout.write(format === 'json' ? toJson(out) : await toYaml(out));
        return;
      }
      if (res.manifests?.error) process.stderr.write(`warning: --manifests ${res.manifests.dir}: the last good set stays applied: ${res.manifests.error}\n`);
      if (res.engine && !res.engine.reachable) process.stderr.write(`warning: the Docker engine is unreachable (${res.engine.error}); showing the last known state\n`);
      if (items.length === 0) {
        process.stderr.write('No resources found\n');
        return;
      }
      if (kind === 'images') printImages(items, format);
      else if (kind === 'workloads') printWorkloads(items, format);
      else printPolicies(items, format);
    });
}
