/**
 * The agent's config file (`agent --config FILE`, YAML): one key per flag, flags override it.
 * CONFIG_KEYS is the one list: the file is checked against it and `agent --help` prints it.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { PullPolicy } from '../crd/workload/type.js';
import { CliError } from './client.js';

// yaml is read only for --config: loaded then (node resolves 'yaml' to the same CommonJS build either way)
const parse = (text: string): unknown => (createRequire(import.meta.url)('yaml') as typeof import('yaml')).parse(text);

export interface AgentConfigFile {
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
  metricsListen?: string;
  metricsTokenFile?: string;
}

/** Every key of the config file, with the flag it stands for and what it does. */
export const CONFIG_KEYS: readonly { key: keyof AgentConfigFile; flag: string; example: string; meaning: string }[] = [
  { key: 'nodeLabels', flag: '--node-label', example: '{site: plant-7, arch: arm64}', meaning: 'labels of this node, for policy nodeSelectors and constraints' },
  { key: 'interval', flag: '--interval', example: '30s', meaning: 'periodic full resync' },
  { key: 'stateDir', flag: '--state-dir', example: '/var/lib/imagectl', meaning: 'the state directory (store, socket, archives)' },
  { key: 'socket', flag: '--socket', example: '/run/imagectl/imagectl.sock', meaning: 'the API socket' },
  { key: 'logLevel', flag: '--log-level', example: 'info', meaning: 'trace, debug, info, warn or error' },
  { key: 'defaultPullPolicy', flag: '--default-pull-policy', example: 'IfNotPresent', meaning: 'imagePullPolicy of Workloads that set none (default Always)' },
  { key: 'archiveDirs', flag: '--archive-dir', example: '[/srv/images]', meaning: 'where Workload archive: paths may point, besides <state-dir>/archives' },
  { key: 'nodeConstraints', flag: '--node-constraint', example: '["purpose == image-cleanup"]', meaning: 'Open Horizon constraints of this node, matched against policy properties' },
  { key: 'manifests', flag: '--manifests', example: '/srv/fleet/manifests', meaning: 'GitOps: apply this directory, pruning what leaves it' },
  { key: 'socketGroup', flag: '--socket-group', example: 'imagectl', meaning: 'socket 0660, owned by this group (default 0600)' },
  { key: 'listen', flag: '--listen', example: '127.0.0.1:7443', meaning: 'also serve the API on TCP; needs tokenFile' },
  { key: 'tokenFile', flag: '--token-file', example: '/etc/imagectl/token', meaning: 'the API\'s bearer token (mode 0600, at least 16 characters)' },
  { key: 'maxBodyBytes', flag: '--max-body-bytes', example: '8Mi', meaning: 'request body cap of the API' },
  { key: 'metricsListen', flag: '--metrics-listen', example: '127.0.0.1:9464', meaning: 'serve Prometheus metrics at /metrics there (and nothing else)' },
  { key: 'metricsTokenFile', flag: '--metrics-token-file', example: '/etc/imagectl/metrics-token', meaning: 'a bearer token for the metrics port (mode 0600)' },
];

/** The help text that lists the config file's keys. */
export function configHelp(): string {
  const w = Math.max(...CONFIG_KEYS.map((k) => `${k.key}: ${k.example}`.length));
  const lines = CONFIG_KEYS.map((k) => `  ${`${k.key}: ${k.example}`.padEnd(w)}   # ${k.flag}: ${k.meaning}`);
  return `\nConfig file (--config FILE, YAML; a flag overrides its key):\n${lines.join('\n')}\n`;
}

export function readConfig(file: string): AgentConfigFile {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new CliError(`cannot read --config ${file}: ${(err as Error).message}`);
  }
  let cfg: AgentConfigFile;
  try {
    cfg = (parse(text) ?? {}) as AgentConfigFile;
  } catch (err) {
    throw new CliError(`${file}: ${(err as Error).message}`);
  }
  if (typeof cfg !== 'object' || Array.isArray(cfg)) throw new CliError(`${file}: want a mapping of config keys (${CONFIG_KEYS.map((k) => k.key).join(', ')})`);
  const known = new Set<string>(CONFIG_KEYS.map((k) => k.key));
  for (const k of Object.keys(cfg)) if (!known.has(k)) throw new CliError(`${file}: unknown field ${JSON.stringify(k)} (known: ${[...known].join(', ')})`);
  return cfg;
}
