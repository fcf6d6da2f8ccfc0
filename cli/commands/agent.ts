import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Command, Option } from 'commander';
import { parse } from 'yaml';
import { AgentStartError, startAgent } from '../../agent/agent.js';
import { validateForServer } from '../../crd/server.js';
import type { PullPolicy } from '../../crd/workload.js';
import { parseDuration } from '../../policy/duration.js';
import { CliError } from '../client.js';
import { resolvePaths, type GlobalOpts } from '../context.js';

interface AgentConfigFile {
  nodeLabels?: Record<string, string>;
  interval?: string;
  stateDir?: string;
  socket?: string;
  logLevel?: string;
  defaultPullPolicy?: PullPolicy;
  archiveDirs?: string[];
}

const collect = (v: string, prev: string[] = []) => [...prev, v];

export function parseLabels(list: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of list.flatMap((s) => s.split(',')).filter(Boolean)) {
    const m = /^([A-Za-z0-9]([-A-Za-z0-9_./]*[A-Za-z0-9])?)=([-A-Za-z0-9_.]*)$/.exec(item.trim());
    if (!m) throw new CliError(`invalid node label ${JSON.stringify(item)}: want key=value`);
    out[m[1]!] = m[3]!;
  }
  return out;
}

function readConfig(file: string): AgentConfigFile {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new CliError(`cannot read --config ${file}: ${(err as Error).message}`);
  }
  const cfg = (parse(text) ?? {}) as AgentConfigFile;
  const known = new Set(['nodeLabels', 'interval', 'stateDir', 'socket', 'logLevel', 'defaultPullPolicy', 'archiveDirs', 'nodeConstraints']);
  for (const k of Object.keys(cfg)) if (!known.has(k)) throw new CliError(`${file}: unknown field ${JSON.stringify(k)} (known: ${[...known].join(', ')})`);
  return cfg;
}

export function agentCommand(): Command {
  return new Command('agent')
    .description('run the agent: owns the store, reconciles images with the Docker engine (DOCKER_HOST), serves the local API')
    .addOption(new Option('--node-label <key=value>', 'a label of this node, for policy nodeSelectors (repeatable)').env('IMAGECTL_NODE_LABELS').argParser(collect))
    .addOption(new Option('--interval <duration>', 'periodic full resync').env('IMAGECTL_INTERVAL'))
    .addOption(new Option('--config <file>', 'agent config (YAML): nodeLabels, interval, stateDir, socket, logLevel').env('IMAGECTL_CONFIG'))
    .addOption(new Option('--log-level <level>', 'log level (trace, debug, info, warn, error)').env('IMAGECTL_LOG_LEVEL'))
    .addOption(new Option('--default-pull-policy <policy>', 'imagePullPolicy of Workloads that set none (default Always)').choices(['Always', 'IfNotPresent', 'Never']).env('IMAGECTL_DEFAULT_PULL_POLICY'))
    .addOption(new Option('--archive-dir <dir>', 'a directory Workload archive: paths may point into, besides <state-dir>/archives (repeatable)').argParser(collect))
    .action(async (opts: { nodeLabel?: string[] | string; interval?: string; config?: string; logLevel?: string; defaultPullPolicy?: PullPolicy; archiveDir?: string[] }, cmd: Command) => {
      const g = cmd.optsWithGlobals<GlobalOpts>();
      const cfg = opts.config ? readConfig(opts.config) : {};
      const { stateDir, socket } = resolvePaths({ stateDir: g.stateDir ?? cfg.stateDir, socket: g.socket ?? cfg.socket });
      const labelArgs = typeof opts.nodeLabel === 'string' ? [opts.nodeLabel] : (opts.nodeLabel ?? []);
      const nodeLabels = { ...(cfg.nodeLabels ?? {}), ...parseLabels(labelArgs) };
      const interval = parseDuration(opts.interval ?? cfg.interval ?? '30s');
      if (!interval.ok) throw new CliError(`--interval: ${interval.error}`);
      const defaultPullPolicy = opts.defaultPullPolicy ?? cfg.defaultPullPolicy ?? 'Always';
      if (!['Always', 'IfNotPresent', 'Never'].includes(defaultPullPolicy)) throw new CliError(`defaultPullPolicy: must be Always, IfNotPresent or Never, got ${JSON.stringify(defaultPullPolicy)}`);
      const archiveDirs = [...(cfg.archiveDirs ?? []), ...(opts.archiveDir ?? [])].map((d) => resolve(d));
      if (Buffer.byteLength(socket) > 100) throw new CliError(`socket path ${socket} is too long for a unix socket (max 100 bytes); use --socket`);
      let agent;
      try {
        agent = await startAgent({ stateDir, socket, nodeLabels, intervalMs: interval.ms, logLevel: opts.logLevel ?? cfg.logLevel, validate: validateForServer, defaultPullPolicy, archiveDirs });
      } catch (err) {
        if (err instanceof AgentStartError) throw new CliError(err.message);
        throw err;
      }
      await new Promise<void>((resolve) => {
        const onSignal = () => {
          process.off('SIGINT', onSignal);
          process.off('SIGTERM', onSignal);
          void agent.stop().then(resolve);
        };
        process.on('SIGINT', onSignal);
        process.on('SIGTERM', onSignal);
      });
    });
}
