#!/usr/bin/env node
/** imagectl: a kubectl-like CLI for the imagectl agent. */
import { CommanderError } from 'commander';
import { CliError } from './client.js';
import { programFor } from './program.js';
import { closeFleet } from './commands/fleet-client.js';

async function main(): Promise<void> {
  try {
    // only the module of the command that runs is loaded (see program.ts)
    const program = await programFor(process.argv.slice(2));
    await program.parseAsync(process.argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      process.exitCode = err.exitCode;
      return;
    }
    if (err instanceof CliError) {
      process.stderr.write(`${/^error|\n/i.test(err.message) ? '' : 'error: '}${err.message}\n`);
      process.exitCode = err.exitCode;
      return;
    }
    process.stderr.write(`error: ${(err as Error).stack ?? String(err)}\n`);
    process.exitCode = 1;
  } finally {
    // a --fleet command's NATS connection would keep the process alive
    await closeFleet();
  }
}

await main();
