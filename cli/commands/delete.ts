import { Command } from 'commander';
import { findKind } from '../../crd/kinds.js';
import { CliError, type ApiError } from '../client.js';
import { clientFor, type GlobalOpts } from '../context.js';
import { printable } from '../output.js';

const collect = (v: string, prev: string[] = []) => [...prev, v];

export function deleteCommand(): Command {
  return new Command('delete')
    .description('delete objects: delete KIND NAME..., or delete -f FILE|DIR|-')
    .argument('[kind]', 'imagepolicy | workload')
    .argument('[names...]', 'object names')
    .option('-f, --filename <path>', 'file, directory or - for stdin (repeatable)', collect)
    .option('-R, --recursive', 'process directories recursively', false)
    .option('--ignore-not-found', 'treat a missing object as deleted', false)
    .option('--name <name>', 'the name of an Open Horizon policy read with -f (default: its file name; needed for stdin)')
    .action(async (kind: string | undefined, names: string[], opts: { filename?: string[]; recursive: boolean; ignoreNotFound: boolean; name?: string }, cmd: Command) => {
      const targets: { kind: string; name: string }[] = [];
      if (opts.filename?.length) {
        if (kind) throw new CliError('error: give either -f or KIND NAME, not both');
        // the manifest loader (yaml, the validator) only for -f
        const { loadOrFail } = await import('./apply.js');
        for (const o of await loadOrFail(opts.filename, opts.recursive, { name: opts.name, verb: 'deleted' })) targets.push({ kind: o.object.kind, name: o.object.metadata.name });
      } else {
        if (!kind || names.length === 0) throw new CliError('error: must specify -f FILE or KIND NAME');
        if (!findKind(kind)) throw new CliError(`error: the server doesn't have a resource type "${kind}" (known: imagepolicy, workload)`);
        for (const name of names) targets.push({ kind, name });
      }
      const client = clientFor(cmd.optsWithGlobals<GlobalOpts>());
      let failed = 0;
      for (const t of targets) {
        try {
          await client.request('DELETE', `/v1/objects/${encodeURIComponent(t.kind)}/${encodeURIComponent(t.name)}`);
          process.stdout.write(`${findKind(t.kind)?.singular ?? t.kind.toLowerCase()} "${t.name}" deleted\n`);
        } catch (err) {
          const status = (err as ApiError).status;
          if (status === undefined) throw err; // the agent is unreachable
          if (status === 404 && opts.ignoreNotFound) continue;
          process.stderr.write(`Error from server${status === 404 ? ' (NotFound)' : ''}: ${printable((err as Error).message)}\n`);
          failed++;
        }
      }
      if (failed) process.exitCode = 1;
    });
}
