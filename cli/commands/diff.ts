import { Command, CommanderError } from 'commander';
import { CliError } from '../client.js';
import { clientFor, type GlobalOpts } from '../context.js';
import { unifiedDiff } from '../diff.js';
import { toYaml } from '../output.js';
import { loadOrFail, rethrowWithDetails, type ServerApply } from './apply.js';

const collect = (v: string, prev: string[] = []) => [...prev, v];

/** kubectl diff: exit 0 means no differences, 1 differences, anything above an error. */
export const DIFF_ERROR_EXIT = 2;

/** Usage errors exit 2 as well: 1 means "differences". */
class DiffCommand extends Command {
  override exitOverride(fn?: (err: CommanderError) => never | void): this {
    return super.exitOverride((err) => {
      const e = err.exitCode === 1 ? new CommanderError(DIFF_ERROR_EXIT, err.code, err.message) : err;
      if (fn) return fn(e);
      throw e;
    });
  }
}

export function diffCommand(): Command {
  const cmd = new DiffCommand('diff')
    .description('show what apply would change, as a unified diff between the live objects and the result (exit 0: none, 1: differences, >1: error)')
    .option('-f, --filename <path>', 'file, directory or - for stdin (repeatable)', collect)
    .option('-R, --recursive', 'process directories recursively', false)
    .option('--prune', 'include the objects of the --applyset that apply --prune would delete', false)
    .option('--applyset <name>', 'the set the objects belong to (as for apply)')
    .option('--name <name>', 'the name of an Open Horizon policy (default: its file name; needed for stdin)')
    .action(async (opts: { filename?: string[]; recursive: boolean; prune: boolean; applyset?: string; name?: string }, c: Command) => {
      try {
        await runDiff(opts, c);
      } catch (err) {
        if (err instanceof CliError && err.exitCode > 1) throw err;
        throw new CliError(err instanceof Error ? err.message : String(err), DIFF_ERROR_EXIT);
      }
    });
  return cmd.exitOverride().showHelpAfterError();
}

async function runDiff(opts: { filename?: string[]; recursive: boolean; prune: boolean; applyset?: string; name?: string }, c: Command): Promise<void> {
  const objects = await loadOrFail(opts.filename ?? [], opts.recursive, { name: opts.name, exitCode: DIFF_ERROR_EXIT, verb: 'compared' });
  const client = clientFor(c.optsWithGlobals<GlobalOpts>());
  // only the changes: the plan and the workload preview of a server dry run are not shown
  const body = { objects: objects.map((o) => o.object), dryRun: 'server', plan: false, ...(opts.prune ? { prune: true } : {}), ...(opts.applyset ? { applyset: opts.applyset } : {}) };
  const r = await client.request<ServerApply>('POST', '/v1/apply', body).catch((err: unknown) => rethrowWithDetails(err, DIFF_ERROR_EXIT));
  let out = '';
  for (const ch of r.changes ?? []) {
    const ref = `${ch.kind.toLowerCase()}/${ch.name}`;
    const d = unifiedDiff(ch.live ? await toYaml(ch.live) : '', ch.after ? await toYaml(ch.after) : '', `live/${ref}`, `merged/${ref}`);
    if (d) out += `diff -u -N live/${ref} merged/${ref}\n${d}`;
  }
  process.stdout.write(out);
  if (out) process.exitCode = 1;
}
