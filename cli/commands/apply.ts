import { Command, Option } from 'commander';
import { loadManifests, type LoadedObject } from '../../crd/load.js';
import { formatManifestError } from '../../crd/types.js';
import { planApply, type ApplyResult } from '../../agent/apply.js';
import type { StoredObject } from '../../store/store.js';
import { CliError, type ApiError } from '../client.js';
import { clientFor, type GlobalOpts } from '../context.js';
import { parseOutput, toJson, toYaml } from '../output.js';
import { readStdin } from '../stdin.js';

const collect = (v: string, prev: string[] = []) => [...prev, v];

/** Load and validate every input; print every problem at once and fail when there is any. */
export async function loadOrFail(files: string[], recursive: boolean): Promise<LoadedObject[]> {
  if (files.length === 0) throw new CliError('error: must specify -f FILE|DIR|-');
  const r = await loadManifests(files, { recursive, stdin: readStdin });
  if (!r.ok) {
    throw new CliError(`${r.errors.map(formatManifestError).join('\n')}\nerror: ${r.errors.length} problem${r.errors.length > 1 ? 's' : ''} found; nothing was applied`);
  }
  return r.objects;
}

export const resultLine = (r: ApplyResult, suffix = '') => `${r.kind.toLowerCase()}/${r.name} ${r.action}${suffix}`;

export function applyCommand(): Command {
  return new Command('apply')
    .description('apply manifests (validated first, then all or nothing)')
    .addOption(new Option('-f, --filename <path>', 'file, directory or - for stdin (repeatable)').argParser(collect))
    .option('-R, --recursive', 'process directories recursively', false)
    .addOption(new Option('--dry-run <mode>', 'client: validate and print; server: ask the agent what would change').choices(['client', 'server', 'none']))
    .option('-o, --output <format>', 'json|yaml|name')
    .action(async (opts: { filename?: string[]; recursive: boolean; dryRun?: string; output?: string }, cmd: Command) => {
      const format = parseOutput(opts.output, ['json', 'yaml', 'name']);
      const objects = await loadOrFail(opts.filename ?? [], opts.recursive);
      const client = clientFor(cmd.optsWithGlobals<GlobalOpts>());
      const payload = objects.map((o) => o.object);
      let results: ApplyResult[];
      let suffix = '';
      let plan: unknown;
      if (opts.dryRun === 'client') {
        const live = await client.request<{ items: StoredObject[] }>('GET', '/v1/objects/imagepolicy').then((l) => l.items, () => []);
        results = planApply(live, payload as never, new Date()).results;
        suffix = ' (dry run)';
      } else {
        try {
          const r = await client.request<{ results: ApplyResult[]; plan?: unknown }>('POST', '/v1/apply', { objects: payload, dryRun: opts.dryRun });
          results = r.results;
          plan = r.plan;
        } catch (err) {
          const d = (err as ApiError).details;
          if (Array.isArray(d)) throw new CliError(`${d.join('\n')}\nerror: ${(err as Error).message}`);
          throw err;
        }
        if (opts.dryRun === 'server') suffix = ' (server dry run)';
      }
      if (format === 'json' || format === 'yaml') {
        const out = { kind: 'List', items: payload, results, ...(plan ? { plan } : {}) };
        process.stdout.write(format === 'json' ? toJson(out) : toYaml(out));
        return;
      }
      for (const r of results) process.stdout.write(format === 'name' ? `${r.kind.toLowerCase()}/${r.name}\n` : `${resultLine(r, suffix)}\n`);
      if (plan && format === 'table') printPlanSummary(plan as PlanView);
    });
}

interface PlanView {
  items: { image: string; tags: string[]; when: string; rule: string | null; removeAt: string | null }[];
}

function printPlanSummary(p: PlanView): void {
  const now = p.items.filter((i) => i.when === 'now');
  const later = p.items.filter((i) => i.when === 'later');
  process.stdout.write(`\nplan: ${now.length} image(s) would be removed now, ${later.length} later\n`);
  for (const i of [...now, ...later]) {
    process.stdout.write(`  ${i.when === 'now' ? 'remove now' : `remove at ${i.removeAt}`}  ${i.tags.join(',') || i.image}  (${i.rule})\n`);
  }
}
