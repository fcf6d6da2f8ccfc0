import { randomUUID } from 'node:crypto';
import { Command, Option } from 'commander';
import type { LoadedObject } from '../../crd/load.js';
import { loadManifests } from '../load.js';
import { formatManifestError } from '../../crd/types.js';
import type { DiskView } from '../../crd/api/disk.js';
import { diskLine } from '../disk.js';
import { applyOptionsProblem, planApply, type ApplyOptions, type ApplyResult } from '../../crd/apply/applyset.js';
import type { WorkloadPreview } from '../../crd/api/preview.js';
import type { StoredObject } from '../../crd/api/object.js';
import { CliError, type ApiError, type Client } from '../client.js';
import { clientFor, type GlobalOpts } from '../context.js';
import { parseOutput, toJson, toYaml } from '../output.js';
import { readStdin } from '../stdin.js';

const collect = (v: string, prev: string[] = []) => [...prev, v];

/** Load and validate every input; print every problem at once and fail when there is any. */
export async function loadOrFail(files: string[], recursive: boolean, opts: { name?: string; exitCode?: number; verb?: string } = {}): Promise<LoadedObject[]> {
  if (files.length === 0) throw new CliError('error: must specify -f FILE|DIR|-', opts.exitCode);
  const r = await loadManifests(files, { recursive, stdin: readStdin, name: opts.name, syncReads: true });
  if (!r.ok) {
    throw new CliError(`${r.errors.map(formatManifestError).join('\n')}\nerror: ${r.errors.length} problem${r.errors.length > 1 ? 's' : ''} found; nothing was ${opts.verb ?? 'applied'}`, opts.exitCode);
  }
  return r.objects;
}

export const resultLine = (r: ApplyResult, suffix = '') => `${r.kind.toLowerCase()}/${r.name} ${r.action}${suffix}`;

/** Every applied object of every kind, as the agent holds them. */
export async function liveObjects(client: Client): Promise<StoredObject[]> {
  const lists = await Promise.all(['imagepolicy', 'workload'].map((k) => client.request<{ items: StoredObject[] }>('GET', `/v1/objects/${k}`)));
  return lists.flatMap((l) => l.items);
}

/** The server's problems (validation, conflicts) as lines, then its message. */
export function rethrowWithDetails(err: unknown, exitCode = 1): never {
  const d = (err as ApiError).details;
  if (Array.isArray(d)) throw new CliError(`${d.join('\n')}\nerror: ${(err as Error).message}`, exitCode);
  if (err instanceof CliError && exitCode !== err.exitCode) throw new CliError(err.message, exitCode);
  throw err;
}

export interface ServerApply {
  results: ApplyResult[];
  plan?: PlanView;
  workloads?: WorkloadPreview[];
  changes?: { kind: string; name: string; action: string; live?: unknown; after?: unknown }[];
}

export function applyCommand(): Command {
  return new Command('apply')
    .description('apply manifests (validated first, then all or nothing); Open Horizon node management policies are imported')
    .addOption(new Option('-f, --filename <path>', 'file, directory or - for stdin (repeatable)').argParser(collect))
    .option('-R, --recursive', 'process directories recursively', false)
    .addOption(new Option('--dry-run <mode>', 'client: validate and print; server: ask the agent what would change').choices(['client', 'server', 'none']))
    .option('--prune', 'delete the objects of the --applyset that are not in the input', false)
    .option('--applyset <name>', 'the set the objects belong to: each gets the label imagectl.dev/applyset=<id>')
    .option('--name <name>', 'the name of an Open Horizon policy (default: its file name; needed for stdin)')
    .option('-o, --output <format>', 'json|yaml|name')
    .action(async (opts: { filename?: string[]; recursive: boolean; dryRun?: string; prune: boolean; applyset?: string; name?: string; output?: string }, cmd: Command) => {
      const format = parseOutput(opts.output, ['json', 'yaml', 'name']);
      const setOpts: ApplyOptions = { prune: opts.prune, applyset: opts.applyset };
      const problem = applyOptionsProblem(setOpts);
      if (problem) throw new CliError(`error: ${problem}`);
      const objects = await loadOrFail(opts.filename ?? [], opts.recursive, { name: opts.name });
      const client = clientFor(cmd.optsWithGlobals<GlobalOpts>());
      const payload = objects.map((o) => o.object);
      let r: ServerApply;
      let suffix = '';
      if (opts.dryRun === 'client') {
        // validated locally; the live objects only tell created from configured (none without an agent)
        const live = await liveObjects(client).catch(() => [] as StoredObject[]);
        const plan = planApply(live, payload, new Date(), randomUUID, setOpts);
        if (plan.problems.length > 0) throw new CliError(`${plan.problems.join('\n')}\nerror: ${plan.problems.length} conflict(s); nothing would be applied`);
        r = { results: plan.results };
        suffix = ' (dry run)';
      } else {
        const body = { objects: payload, dryRun: opts.dryRun, ...(opts.prune ? { prune: true } : {}), ...(opts.applyset ? { applyset: opts.applyset } : {}) };
        r = await client.request<ServerApply>('POST', '/v1/apply', body).catch((err: unknown) => rethrowWithDetails(err));
        if (opts.dryRun === 'server') suffix = ' (server dry run)';
      }
      if (format === 'json' || format === 'yaml') {
        const out = { kind: 'List', items: payload, results: r.results, ...(r.plan ? { plan: r.plan } : {}), ...(r.workloads ? { workloads: r.workloads } : {}) };
        process.stdout.write(format === 'json' ? toJson(out) : await toYaml(out));
        return;
      }
      // one write for the whole list (hundreds of lines)
      process.stdout.write(r.results.map((x) => (format === 'name' ? `${x.kind.toLowerCase()}/${x.name}\n` : `${resultLine(x, suffix)}\n`)).join(''));
      if (format === 'table' && r.plan) printPlanSummary(r.plan);
      if (format === 'table' && r.workloads) printWorkloadSummary(r.workloads);
    });
}

export interface PlanView {
  items: { image: string; tags: string[]; when: string; rule: string | null; removeAt: string | null }[];
  disk?: DiskView | null;
}

function printPlanSummary(p: PlanView): void {
  const now = p.items.filter((i) => i.when === 'now');
  const later = p.items.filter((i) => i.when === 'later');
  process.stdout.write(`\nplan: ${now.length} image(s) would be removed now, ${later.length} later\n`);
  for (const i of [...now, ...later]) {
    process.stdout.write(`  ${i.when === 'now' ? 'remove now' : `remove at ${i.removeAt}`}  ${i.tags.join(',') || i.image}  (${i.rule})\n`);
  }
  if (!p.disk) return;
  const byId = new Map(p.items.map((i) => [i.image, i]));
  process.stdout.write(`${diskLine(p.disk)}`);
  for (const id of p.disk.wouldRemove) process.stdout.write(`  remove now for disk pressure  ${byId.get(id)?.tags.join(',') || id}\n`);
}

function printWorkloadSummary(w: WorkloadPreview[]): void {
  if (w.length === 0) return;
  process.stdout.write(`\nworkloads: ${w.length} would change\n`);
  const verb: Record<WorkloadPreview['image'], string> = { pull: 'pull image', resolve: 'resolve image digest', load: 'load archive', none: 'image present', missing: 'image missing' };
  for (const x of w) process.stdout.write(`  workload/${x.workload}: container ${x.container}, ${verb[x.image]} (${x.reason})\n`);
}
