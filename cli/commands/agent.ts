import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Command, Option } from 'commander';
import { createRequire } from 'node:module';
// yaml is read only for --config: loaded then (node resolves 'yaml' to the same CommonJS build either way)
const parse = (text: string): unknown => (createRequire(import.meta.url)('yaml') as typeof import('yaml')).parse(text);
import { validateForServer } from '../../crd/server.js';
import type { PullPolicy } from '../../crd/workload/type.js';
import { parseDuration } from '../../crd/fields/duration.js';
import { CliError } from '../client.js';
import { resolvePaths, type GlobalOpts } from '../context.js';
import { parseNodeConstraints } from '../node-constraints.js';
import { probeSocket } from '../../controller/agent/probe.js';
// The agent's modules (the engine client, level, xstate) load only when the agent runs: every other
// command starts faster without them.
const agentModule = () => import('../../controller/agent/agent.js');

interface AgentConfigFile {
  nodeLabels?: Record<string, string>;
  interval?: string;
  stateDir?: string;
  socket?: string;
  logLevel?: string;
  defaultPullPolicy?: PullPolicy;
  archiveDirs?: string[];
  nodeConstraints?: string[];
  manifests?: string;
  socketGroup?: string;
  listen?: string;
  tokenFile?: string;
  maxBodyBytes?: number | string;
  maxArchiveBytes?: number | string;
  maxArchiveExpandedBytes?: number | string;
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
  const known = new Set(['nodeLabels', 'interval', 'stateDir', 'socket', 'logLevel', 'defaultPullPolicy', 'archiveDirs', 'nodeConstraints', 'manifests', 'socketGroup', 'listen', 'tokenFile', 'maxBodyBytes', 'maxArchiveBytes', 'maxArchiveExpandedBytes']);
  for (const k of Object.keys(cfg)) if (!known.has(k)) throw new CliError(`${file}: unknown field ${JSON.stringify(k)} (known: ${[...known].join(', ')})`);
  return cfg;
}

/** `8388608`, `512Ki`, `8Mi`, `1Gi` → bytes. */
export function parseBytes(v: string | number, flag = '--max-body-bytes'): number {
  const m = /^(\d+)(Ki|Mi|Gi)?$/.exec(String(v).trim());
  const n = m ? Number(m[1]) * (m[2] === 'Ki' ? 1024 : m[2] === 'Mi' ? 1024 ** 2 : m[2] === 'Gi' ? 1024 ** 3 : 1) : NaN;
  if (!(n >= 1024)) throw new CliError(`${flag} ${JSON.stringify(v)}: want a size of at least 1Ki, e.g. 8Mi or 1048576`);
  return n;
}

/** An optional size from its flag or its config key. */
const sizeOption = (v: string | number | undefined, flag: string) => (v === undefined ? undefined : parseBytes(v, flag));

/** Who may reach the API, and what one request or archive may cost. */
function securityOptions(opts: { socketGroup?: string; listen?: string; maxBodyBytes?: string; maxArchiveBytes?: string; maxArchiveExpandedBytes?: string }, g: GlobalOpts, cfg: AgentConfigFile) {
  return {
    socketGroup: opts.socketGroup ?? cfg.socketGroup,
    listen: opts.listen ?? cfg.listen,
    // a global option: the same file the CLI's --server reads
    tokenFile: g.tokenFile ?? cfg.tokenFile,
    maxBodyBytes: sizeOption(opts.maxBodyBytes ?? cfg.maxBodyBytes, '--max-body-bytes'),
    maxArchiveBytes: sizeOption(opts.maxArchiveBytes ?? cfg.maxArchiveBytes, '--max-archive-bytes'),
    maxArchiveExpandedBytes: sizeOption(opts.maxArchiveExpandedBytes ?? cfg.maxArchiveExpandedBytes, '--max-archive-expanded-bytes'),
  };
}

/** `imagectl agent --repair`: salvage the store, rebuild from the engine, say what was lost. */
async function runRepair(stateDir: string, socket: string): Promise<void> {
  const live = await probeSocket(socket);
  if (live) throw new CliError(`an agent (pid ${live.pid}) is running on ${socket}; stop it before --repair`);
  try {
    const { repairWithEngine } = await import('../../controller/agent/repair.js');
    process.stdout.write(await repairWithEngine(stateDir));
  } catch (err) {
    throw new CliError(`repair of ${stateDir} failed: ${(err as Error).message}`);
  }
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
    .addOption(new Option('--node-constraint <expr>', 'an Open Horizon constraint of this node over policy properties, e.g. "purpose == cleanup" (repeatable)').argParser(collect))
    .addOption(new Option('--repair', 'salvage a damaged store (after backing it up), rebuild what the engine shows, print what was lost, and exit'))
    .addOption(new Option('--socket-group <group>', 'make the API socket 0660 and owned by this group (default: 0600, owner only)').env('IMAGECTL_SOCKET_GROUP'))
    .addOption(new Option('--listen <host:port>', 'also serve the API on TCP (off by default); needs the global --token-file (mode 0600, at least 16 characters)').env('IMAGECTL_LISTEN'))
    .addOption(new Option('--max-body-bytes <size>', 'request body cap of the API, e.g. 8Mi (default), 512Ki').env('IMAGECTL_MAX_BODY_BYTES'))
    .addOption(new Option('--max-archive-bytes <size>', 'the largest archive pull --archive and Workload archives may be, e.g. 4Gi (default)').env('IMAGECTL_MAX_ARCHIVE_BYTES'))
    .addOption(new Option('--max-archive-expanded-bytes <size>', 'the most an archive\'s layers may expand to, uncompressed, e.g. 16Gi (default)').env('IMAGECTL_MAX_ARCHIVE_EXPANDED_BYTES'))
    .addOption(new Option('--manifests <dir>', 'GitOps: apply this directory, pruning what leaves it, at start and on every change').env('IMAGECTL_MANIFESTS'))
    .action(async (opts: { nodeLabel?: string[] | string; interval?: string; config?: string; logLevel?: string; defaultPullPolicy?: PullPolicy; archiveDir?: string[]; nodeConstraint?: string[]; manifests?: string; repair?: boolean; socketGroup?: string; listen?: string; maxBodyBytes?: string; maxArchiveBytes?: string; maxArchiveExpandedBytes?: string }, cmd: Command) => {
      const g = cmd.optsWithGlobals<GlobalOpts>();
      const cfg = opts.config ? readConfig(opts.config) : {};
      const { stateDir, socket } = resolvePaths({ stateDir: g.stateDir ?? cfg.stateDir, socket: g.socket ?? cfg.socket });
      if (opts.repair) return runRepair(stateDir, socket);
      const security = securityOptions(opts, g, cfg);
      const labelArgs = typeof opts.nodeLabel === 'string' ? [opts.nodeLabel] : (opts.nodeLabel ?? []);
      const nodeLabels = { ...(cfg.nodeLabels ?? {}), ...parseLabels(labelArgs) };
      const interval = parseDuration(opts.interval ?? cfg.interval ?? '30s');
      if (!interval.ok) throw new CliError(`--interval: ${interval.error}`);
      const defaultPullPolicy = opts.defaultPullPolicy ?? cfg.defaultPullPolicy ?? 'Always';
      if (!['Always', 'IfNotPresent', 'Never'].includes(defaultPullPolicy)) throw new CliError(`defaultPullPolicy: must be Always, IfNotPresent or Never, got ${JSON.stringify(defaultPullPolicy)}`);
      const archiveDirs = [...(cfg.archiveDirs ?? []), ...(opts.archiveDir ?? [])].map((d) => resolve(d));
      const nodeConstraints = parseNodeConstraints(cfg.nodeConstraints, opts.nodeConstraint ?? []);
      const manifests = opts.manifests ?? cfg.manifests;
      const manifestsDir = manifests === undefined ? undefined : resolve(manifests);
      if (Buffer.byteLength(socket) > 100) throw new CliError(`socket path ${socket} is too long for a unix socket (max 100 bytes); use --socket`);
      let agent;
      try {
        const { startAgent } = await agentModule();
        agent = await startAgent({ stateDir, socket, nodeLabels, intervalMs: interval.ms, logLevel: opts.logLevel ?? cfg.logLevel, validate: validateForServer, defaultPullPolicy, archiveDirs, nodeConstraints, manifestsDir, ...security });
      } catch (err) {
        if (err instanceof (await agentModule()).AgentStartError) throw new CliError((err as Error).message);
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
