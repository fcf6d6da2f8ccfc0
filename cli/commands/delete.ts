import { Command } from 'commander';
import { CliError, type ApiError } from '../client.js';
import { clientFor, type GlobalOpts } from '../context.js';
import { loadOrFail } from './apply.js';

const collect = (v: string, prev: string[] = []) => [...prev, v];

export function deleteCommand(): Command {
  return new Command('delete')
    .description('delete objects: delete KIND NAME..., or delete -f FILE|DIR|-')
    .argument('[kind]', 'imagepolicy')
    .argument('[names...]', 'object names')
    .option('-f, --filename <path>', 'file, directory or - for stdin (repeatable)', collect)
    .option('-R, --recursive', 'process directories recursively', false)
    .option('--ignore-not-found', 'treat a missing object as deleted', false)
    .action(async (kind: string | undefined, names: string[], opts: { filename?: string[]; recursive: boolean; ignoreNotFound: boolean }, cmd: Command) => {
      const targets: { kind: string; name: string }[] = [];
      if (opts.filename?.length) {
        if (kind) throw new CliError('error: give either -f or KIND NAME, not both');
        for (const o of await loadOrFail(opts.filename, opts.recursive)) targets.push({ kind: o.object.kind, name: o.object.metadata.name });
      } else {
        if (!kind || names.length === 0) throw new CliError('error: must specify -f FILE or KIND NAME');
        for (const name of names) targets.push({ kind, name });
      }
      const client = clientFor(cmd.optsWithGlobals<GlobalOpts>());
      let failed = 0;
      for (const t of targets) {
        try {
          await client.request('DELETE', `/v1/objects/${encodeURIComponent(t.kind)}/${encodeURIComponent(t.name)}`);
          process.stdout.write(`${t.kind.toLowerCase() === 'imagepolicy' || t.kind === 'ImagePolicy' ? 'imagepolicy' : t.kind.toLowerCase()} "${t.name}" deleted\n`);
        } catch (err) {
          if ((err as ApiError).status === 404 && opts.ignoreNotFound) continue;
          process.stderr.write(`Error from server (NotFound): ${(err as Error).message}\n`);
          failed++;
        }
      }
      if (failed) process.exitCode = 1;
    });
}
