import { Command } from 'commander';
import { explain } from '../../crd/explain.js';
import { CliError } from '../client.js';

export function explainCommand(): Command {
  return new Command('explain')
    .description('document a kind or one of its fields, from the schema (e.g. imagepolicy.spec.removal)')
    .argument('<field>', 'KIND[.FIELD...]: imagepolicy, workload, imagepolicy.spec.removal, ...')
    .option('--recursive', 'list the fields of the fields, without descriptions', false)
    .action((field: string, opts: { recursive: boolean }) => {
      const r = explain(field, { recursive: opts.recursive });
      if (!r.ok) throw new CliError(`error: ${r.error}`);
      process.stdout.write(r.text);
    })
    .exitOverride()
    .showHelpAfterError();
}
