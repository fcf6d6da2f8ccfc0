import { resolve } from 'node:path';
import { Command, Option } from 'commander';
import { validateForServer } from '../../crd/server.js';
import type { PullPolicy } from '../../crd/workload/type.js';
import { parseDuration } from '../../crd/fields/duration.js';
import { CliError } from '../client.js';
import { resolvePaths, type GlobalOpts } from '../context.js';
import { parseNodeConstraints } from '../node-constraints.js';
import { configHelp, readConfig, type AgentConfigFile } from '../agent-config.js';
import { probeSocket } from '../../controller/agent/probe.js';
// The agent's modules (the engine client, level, xstate) load only when the agent runs: every other
// command starts faster without them.
const agentModule = () => import('../../controller/agent/agent.js');

const collect = (v: string, prev: string[] = []) => [...prev, v];

interface AgentFlags {
  nodeName?: string;
  nodeLabel?: string[] | string; interval?: string; config?: string; logLevel?: string; defaultPullPolicy?: PullPolicy; archiveDir?: string[]; nodeConstraint?: string[];
  manifests?: string; repair?: boolean; socketGroup?: string; listen?: string; maxBodyBytes?: string; metricsListen?: string; metricsTokenFile?: string;
}

export function parseLabels(list: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of list.flatMap((s) => s.split(',')).filter(Boolean)) {
    const m = /^([A-Za-z0-9]([-A-Za-z0-9_./]*[A-Za-z0-9])?)=([-A-Za-z0-9_.]*)$/.exec(item.trim());
    if (!m) throw new CliError(`invalid node label ${JSON.stringify(item)}: want key=value`);
    out[m[1]!] = m[3]!;
  }
  return out;
}

/** `8388608`, `512Ki`, `8Mi`, `1Gi` → bytes. */
export function parseBytes(v: string | number): number {
  const m = /^(\d+)(Ki|Mi|Gi)?$/.exec(String(v).trim());
  const n = m ? Number(m[1]) * (m[2] === 'Ki' ? 1024 : m[2] === 'Mi' ? 1024 ** 2 : m[2] === 'Gi' ? 1024 ** 3 : 1) : NaN;
  if (!(n >= 1024)) throw new CliError(`--max-body-bytes ${JSON.stringify(v)}: want a size of at least 1Ki, e.g. 8Mi or 1048576`);
  return n;
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

/** `--fleet URL` (or IMAGECTL_AGENT_FLEET) with `--node-name`: the device of a fleet, checked before the agent starts. */
async function fleetOf(cmd: Command, nodeName: string | undefined, manifestsDir: string | undefined) {
  const g = cmd.optsWithGlobals<GlobalOpts>();
  // the CLI's IMAGECTL_FLEET points commands at the hub; the agent's own variable is IMAGECTL_AGENT_FLEET
  const fromFlag = cmd.parent?.getOptionValueSource('fleet') === 'cli' ? g.fleet : undefined;
  const url = fromFlag ?? process.env.IMAGECTL_AGENT_FLEET;
  if (url === undefined || url === '') {
    if (nodeName !== undefined) throw new CliError('--node-name is for a fleet: give --fleet URL (or IMAGECTL_AGENT_FLEET) too');
    return undefined;
  }
  if (manifestsDir !== undefined) throw new CliError('--fleet and --manifests cannot be combined: a device follows either the fleet\'s hub or a local directory (publish the directory to the fleet with imagectl fleet publish --manifests DIR)');
  if (!nodeName) throw new CliError('--fleet needs --node-name NAME (or IMAGECTL_NODE_NAME): the device\'s name in the fleet');
  const { nodeNameProblem } = await import('../../crd/fleet/names.js');
  const problem = nodeNameProblem(nodeName);
  if (problem) throw new CliError(`--node-name: ${problem}`);
  const auth = { url, passwordFile: g.fleetPasswordFile, credsFile: g.fleetCreds, caFile: g.fleetCa, certFile: g.fleetCert, keyFile: g.fleetKey };
  const { connectOptions } = await import('../../controller/fleet/connect.js');
  try {
    connectOptions(auth, nodeName);
  } catch (err) {
    throw new CliError((err as Error).message);
  }
  return { auth, node: nodeName };
}

export function agentCommand(): Command {
  return new Command('agent')
    .description('run the agent: owns the store, reconciles images with the Docker engine (DOCKER_HOST), serves the local API')
    .addOption(new Option('--node-label <key=value>', 'a label of this node, for policy nodeSelectors (repeatable)').env('IMAGECTL_NODE_LABELS').argParser(collect))
    .addOption(new Option('--interval <duration>', 'periodic full resync').env('IMAGECTL_INTERVAL'))
    .addOption(new Option('--config <file>', 'agent config (YAML), keys below; flags override it').env('IMAGECTL_CONFIG'))
    .addOption(new Option('--log-level <level>', 'log level (trace, debug, info, warn, error)').env('IMAGECTL_LOG_LEVEL'))
    .addOption(new Option('--default-pull-policy <policy>', 'imagePullPolicy of Workloads that set none (default Always)').choices(['Always', 'IfNotPresent', 'Never']).env('IMAGECTL_DEFAULT_PULL_POLICY'))
    .addOption(new Option('--archive-dir <dir>', 'a directory Workload archive: paths may point into, besides <state-dir>/archives (repeatable)').argParser(collect))
    .addOption(new Option('--node-constraint <expr>', 'an Open Horizon constraint of this node over policy properties, e.g. "purpose == cleanup" (repeatable)').argParser(collect))
    .addOption(new Option('--repair', 'salvage a damaged store (after backing it up), rebuild what the engine shows, print what was lost, and exit'))
    .addOption(new Option('--socket-group <group>', 'make the API socket 0660 and owned by this group (default: 0600, owner only)').env('IMAGECTL_SOCKET_GROUP'))
    .addOption(new Option('--listen <host:port>', 'also serve the API on TCP (off by default); needs the global --token-file (mode 0600, at least 16 characters)').env('IMAGECTL_LISTEN'))
    .addOption(new Option('--max-body-bytes <size>', 'request body cap of the API, e.g. 8Mi (default), 512Ki').env('IMAGECTL_MAX_BODY_BYTES'))
    .addOption(new Option('--manifests <dir>', 'GitOps: apply this directory, pruning what leaves it, at start and on every change').env('IMAGECTL_MANIFESTS'))
    .addOption(new Option('--metrics-listen <host:port>', 'serve Prometheus metrics at /metrics on this address, and nothing else (off by default; the API socket serves /metrics too)').env('IMAGECTL_METRICS_LISTEN'))
    .addOption(new Option('--metrics-token-file <file>', 'with --metrics-listen: every scrape needs this bearer token (mode 0600, at least 16 characters)').env('IMAGECTL_METRICS_TOKEN_FILE'))
    .addOption(new Option('--node-name <name>', 'with --fleet (or IMAGECTL_AGENT_FLEET): this device\'s name in the fleet, a DNS-1123 label').env('IMAGECTL_NODE_NAME'))
    .addHelpText('after', configHelp())
    .action(async (opts: AgentFlags, cmd: Command) => {
      const g = cmd.optsWithGlobals<GlobalOpts>();
      const cfg = opts.config ? readConfig(opts.config) : {};
      const { stateDir, socket } = resolvePaths({ stateDir: g.stateDir ?? cfg.stateDir, socket: g.socket ?? cfg.socket });
      if (opts.repair) return runRepair(stateDir, socket);
      const security = listeners(opts, cfg, g);
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
      const fleet = await fleetOf(cmd, opts.nodeName, manifestsDir);
      if (Buffer.byteLength(socket) > 100) throw new CliError(`socket path ${socket} is too long for a unix socket (max 100 bytes); use --socket`);
      let agent;
      try {
        const { startAgent } = await agentModule();
        agent = await startAgent({ stateDir, socket, nodeLabels, intervalMs: interval.ms, logLevel: opts.logLevel ?? cfg.logLevel, validate: validateForServer, defaultPullPolicy, archiveDirs, nodeConstraints, manifestsDir, fleet, ...security });
      } catch (err) {
        if (err instanceof (await agentModule()).AgentStartError) throw new CliError((err as Error).message);
        throw err;
      }
      await untilSignal(agent);
    });
}

/** The socket, TCP and metrics listeners, from flags over the config file. */
function listeners(opts: AgentFlags, cfg: AgentConfigFile, g: GlobalOpts) {
  const maxBody = opts.maxBodyBytes ?? cfg.maxBodyBytes;
  return {
    socketGroup: opts.socketGroup ?? cfg.socketGroup,
    listen: opts.listen ?? cfg.listen,
    // a global option: the same file the CLI's --server reads
    tokenFile: g.tokenFile ?? cfg.tokenFile,
    maxBodyBytes: maxBody === undefined ? undefined : parseBytes(maxBody),
    metricsListen: opts.metricsListen ?? cfg.metricsListen,
    metricsTokenFile: opts.metricsTokenFile ?? cfg.metricsTokenFile,
  };
}

/** Run until SIGINT or SIGTERM, then stop the agent. */
function untilSignal(agent: { stop(): Promise<void> }): Promise<void> {
  return new Promise<void>((resolve) => {
    const onSignal = () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      void agent.stop().then(resolve);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}
