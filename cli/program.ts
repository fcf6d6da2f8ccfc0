/**
 * The CLI's commands, loaded on demand. Each command module pulls in what it needs (yaml, the
 * manifest validator, cli-progress, the agent), so main.ts loads only the module of the command
 * that runs; help, `help`, no command and an unknown command get the full program, so their output
 * and errors are those of every command together.
 */
import { Command, Option } from 'commander';
import { VERSION } from '../crd/api/version.js';
import { CliError } from './client.js';

export interface CommandEntry {
  name: string;
  /** the command's aliases, if it has any (the full program is used when one is missing here) */
  aliases?: readonly string[];
  /** the command sets its own exit handling (diff: usage errors exit 2, since 1 means "differences") */
  ownExit?: boolean;
  /** left out of the help (the completion scripts' helper) */
  hidden?: boolean;
  load(): Promise<Command>;
}

/** Every command, in the order of the help output. */
export const COMMANDS: readonly CommandEntry[] = [
  { name: 'agent', load: async () => (await import('./commands/agent.js')).agentCommand() },
  { name: 'apply', load: async () => (await import('./commands/apply.js')).applyCommand() },
  { name: 'delete', load: async () => (await import('./commands/delete.js')).deleteCommand() },
  { name: 'get', load: async () => (await import('./commands/get.js')).getCommand() },
  { name: 'describe', load: async () => (await import('./commands/describe.js')).describeCommand() },
  { name: 'audit', load: async () => (await import('./commands/audit.js')).auditCommand() },
  { name: 'plan', load: async () => (await import('./commands/plan.js')).planCommand() },
  { name: 'pull', load: async () => (await import('./commands/images.js')).pullCommand() },
  { name: 'rmi', load: async () => (await import('./commands/images.js')).rmiCommand() },
  { name: 'refresh', load: async () => (await import('./commands/images.js')).refreshCommand() },
  { name: 'new', load: async () => (await import('./commands/new.js')).newCommand() },
  { name: 'version', load: async () => (await import('./commands/version.js')).versionCommand() },
  { name: 'fleet', load: async () => (await import('./commands/fleet.js')).fleetCommand() },
  { name: 'diff', ownExit: true, load: async () => (await import('./commands/diff.js')).diffCommand() },
  { name: 'explain', ownExit: true, load: async () => (await import('./commands/explain.js')).explainCommand() },
  { name: 'crds', ownExit: true, load: async () => (await import('./commands/crds.js')).crdsCommand() },
  { name: 'wait', load: async () => (await import('./commands/wait.js')).waitCommand() },
  { name: 'completion', load: async () => (await import('./commands/completion.js')).completionCommand() },
  { name: '__complete', hidden: true, load: async () => (await import('./commands/completion.js')).completeCommand(buildProgram) },
];

/** The program's own options; each takes a value (as `--opt VALUE` or `--opt=VALUE`). */
const GLOBAL_VALUE_OPTIONS = ['--state-dir', '--socket', '--server', '--token-file', '--fleet', '--fleet-password-file', '--fleet-creds', '--fleet-ca', '--fleet-cert', '--fleet-key'];

/** The commands that work against the fleet's hub (SPEC §10); `agent --fleet` is the device, `fleet` the hub's own tools. */
const FLEET_COMMANDS = new Set(['apply', 'diff', 'delete', 'get', 'describe', 'audit', 'pull', 'rmi', 'agent', 'fleet']);

function baseProgram(): Command {
  return new Command('imagectl')
    .description('declarative control of container images on edge devices')
    .version(VERSION, '--version')
    .addOption(new Option('--state-dir <dir>', 'agent state directory (default ./.imagectl, or /var/lib/imagectl for root)').env('IMAGECTL_STATE_DIR'))
    .addOption(new Option('--socket <path>', 'agent API socket (default <state-dir>/imagectl.sock)').env('IMAGECTL_SOCKET'))
    .addOption(new Option('--server <url>', 'talk to an agent\'s TCP API instead (http://HOST:PORT, see agent --listen); needs --token-file').env('IMAGECTL_SERVER'))
    .addOption(new Option('--token-file <file>', 'the bearer token: the agent\'s with --server; the one agent --listen and fleet dashboard require').env('IMAGECTL_TOKEN_FILE'))
    .addOption(new Option('--fleet <url>', 'talk to the fleet\'s NATS hub instead (nats://[USER[:PASSWORD]@]HOST:PORT or tls://...)').env('IMAGECTL_FLEET'))
    .addOption(new Option('--fleet-password-file <file>', 'with --fleet: the password of the URL\'s user (as fleet nats-config writes it)'))
    .addOption(new Option('--fleet-creds <file>', 'with --fleet: a NATS .creds file'))
    .addOption(new Option('--fleet-ca <file>', 'with a tls:// --fleet: the CA that signed the hub\'s certificate'))
    .addOption(new Option('--fleet-cert <file>', 'with a tls:// --fleet: a client certificate (with --fleet-key)'))
    .addOption(new Option('--fleet-key <file>', 'with a tls:// --fleet: the client certificate\'s key'))
    .hook('preAction', (program, action) => {
      const g = program.opts<{ fleet?: string }>();
      let top = action;
      while (top.parent && top.parent !== program) top = top.parent;
      if (g.fleet !== undefined && !FLEET_COMMANDS.has(top.name())) throw new CliError(`error: ${top.name()} is not available with --fleet (with --fleet: ${[...FLEET_COMMANDS].filter((c) => c !== 'agent' && c !== 'fleet').join(', ')})`);
    })
    .showHelpAfterError()
    .exitOverride();
}

function addCommand(program: Command, entry: CommandEntry, cmd: Command): void {
  program.addCommand(entry.ownExit ? cmd : cmd.exitOverride().showHelpAfterError(), { hidden: entry.hidden });
}

/** The whole CLI, every command loaded. */
export async function buildProgram(): Promise<Command> {
  const program = baseProgram();
  const commands = await Promise.all(COMMANDS.map((e) => e.load()));
  COMMANDS.forEach((e, i) => addCommand(program, e, commands[i]!));
  return program;
}

/**
 * The command word of `args` (argv without node and the script): the first argument that is not
 * one of the program's options or its value. Undefined when an option of any other kind comes
 * first (`--help`, `--version`, a mistake), or when the program would report an error of its own
 * (and so print its help): the full program deals with those.
 */
export function commandWord(args: readonly string[]): string | undefined {
  // a program option without its value (last, wherever the command is) is the program's error
  if (args.length > 0 && GLOBAL_VALUE_OPTIONS.includes(args.at(-1)!)) return undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (GLOBAL_VALUE_OPTIONS.includes(a)) {
      i++;
      continue;
    }
    if (GLOBAL_VALUE_OPTIONS.some((o) => a.startsWith(`${o}=`))) continue;
    return a.startsWith('-') ? undefined : a;
  }
  return undefined;
}

export function findCommand(word: string | undefined): CommandEntry | undefined {
  if (word === undefined) return undefined;
  return COMMANDS.find((e) => e.name === word || e.aliases?.includes(word));
}

/** The program for `args`: with only the command that runs when there is one, else every command. */
export async function programFor(args: readonly string[]): Promise<Command> {
  const entry = findCommand(commandWord(args));
  if (!entry) return buildProgram();
  const program = baseProgram();
  addCommand(program, entry, await entry.load());
  return program;
}
