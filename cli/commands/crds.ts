import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import { allCrds } from '../../crd/crdgen.js';

export function crdsCommand(): Command {
  return new Command('crds')
    .description('print Kubernetes CustomResourceDefinitions (apiextensions.k8s.io/v1) for every kind, or write them into a directory')
    .option('-d, --output-dir <dir>', 'write one <plural>.imagectl.dev.yaml per kind into DIR (npm run crds: crd/generated)')
    .action((opts: { outputDir?: string }) => {
      const crds = allCrds();
      if (!opts.outputDir) {
        process.stdout.write([...crds.values()].join('---\n'));
        return;
      }
      mkdirSync(opts.outputDir, { recursive: true });
      for (const [file, text] of crds) {
        writeFileSync(join(opts.outputDir, file), text);
        process.stdout.write(`wrote ${join(opts.outputDir, file)}\n`);
      }
    })
    .exitOverride()
    .showHelpAfterError();
}
