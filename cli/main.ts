#!/usr/bin/env node
/** imagectl: a kubectl-like CLI for the imagectl agent. */
import { Command, CommanderError, Option } from 'commander';
import { VERSION } from '../lib/version.js';
import { CliError } from './client.js';
import { agentCommand } from './commands/agent.js';
import { applyCommand } from './commands/apply.js';
import { auditCommand } from './commands/audit.js';
import { crdsCommand } from './commands/crds.js';
import { deleteCommand } from './commands/delete.js';
import { describeCommand } from './commands/describe.js';
import { diffCommand } from './commands/diff.js';
import { explainCommand } from './commands/explain.js';
import { getCommand } from './commands/get.js';
import { pullCommand, refreshCommand, rmiCommand } from './commands/images.js';
import { newCommand } from './commands/new.js';
import { planCommand } from './commands/plan.js';
import { versionCommand } from './commands/version.js';

export function buildProgram(): Command {
  const program = new Command('imagectl')
    .description('declarative control of container images on edge devices')
    .version(VERSION, '--version')
    .addOption(new Option('--state-dir <dir>', 'agent state directory (default ./.imagectl, or /var/lib/imagectl for root)').env('IMAGECTL_STATE_DIR'))
    .addOption(new Option('--socket <path>', 'agent API socket (default <state-dir>/imagectl.sock)').env('IMAGECTL_SOCKET'))
    .showHelpAfterError()
    .exitOverride();
  for (const c of [agentCommand(), applyCommand(), deleteCommand(), getCommand(), describeCommand(), auditCommand(), planCommand(), pullCommand(), rmiCommand(), refreshCommand(), newCommand(), versionCommand()]) {
    program.addCommand(c.exitOverride().showHelpAfterError());
  }
  // these set their own exit handling (diff: usage errors exit 2, since 1 means "differences")
  for (const c of [diffCommand(), explainCommand(), crdsCommand()]) program.addCommand(c);
  return program;
}

async function main(): Promise<void> {
  try {
    await buildProgram().parseAsync(process.argv);
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
  }
}

await main();
