// PROTOTYPE (bench only) of a change recommended for cli/main.ts: load only the command that runs.
// main.ts imports every command module up front, and with them the agent (pino, dockerode, level,
// xstate) and the manifest loader (ajv, yaml) — `get images` needs none of that.
import { Command, Option } from 'commander';
const { getCommand } = await import('../../dist/cli/commands/get.js');
const program = new Command('imagectl')
  .addOption(new Option('--state-dir <dir>').env('IMAGECTL_STATE_DIR'))
  .addOption(new Option('--socket <path>').env('IMAGECTL_SOCKET'));
program.addCommand(getCommand());
await program.parseAsync(process.argv);
