/** Where the agent lives: flags, then environment, then defaults (root: /var/lib/imagectl). */
import { readFileSync } from 'node:fs';
import { resolve, join } from 'node:path';
import { CliError, Client, type Remote } from './client.js';
import { FleetClient, type FleetAuthOptions } from './commands/fleet-client.js';

/** --fleet and its credential flags, checked: the hub replaces the agent, so --server and --socket cannot come with it. */
export function fleetAuthOf(o: GlobalOpts): FleetAuthOptions {
  if (o.fleet === undefined) throw new CliError('error: this needs --fleet URL (or IMAGECTL_FLEET)');
  if (o.server !== undefined || o.socket !== undefined) throw new CliError('error: --fleet cannot be combined with --server or --socket');
  return { url: o.fleet, passwordFile: o.fleetPasswordFile, credsFile: o.fleetCreds, caFile: o.fleetCa, certFile: o.fleetCert, keyFile: o.fleetKey };
}

export interface GlobalOpts {
  stateDir?: string;
  socket?: string;
  /** the agent's TCP listener, `http://HOST:PORT` (agent --listen) */
  server?: string;
  tokenFile?: string;
  /** the fleet's hub (SPEC §10): `nats://...` or `tls://...` */
  fleet?: string;
  fleetPasswordFile?: string;
  fleetCreds?: string;
  fleetCa?: string;
  fleetCert?: string;
  fleetKey?: string;
}

export function defaultStateDir(): string {
  return process.getuid?.() === 0 ? '/var/lib/imagectl' : resolve('.imagectl');
}

export function resolvePaths(o: GlobalOpts): { stateDir: string; socket: string } {
  const stateDir = resolve(o.stateDir ?? defaultStateDir());
  const socket = resolve(o.socket ?? join(stateDir, 'imagectl.sock'));
  return { stateDir, socket };
}

export function clientFor(o: GlobalOpts): Client {
  if (o.fleet !== undefined) return new FleetClient(fleetAuthOf(o));
  const { stateDir, socket } = resolvePaths(o);
  return new Client(socket, stateDir, remoteOf(o));
}

/** --server and --token-file, checked: only plain http to the agent's listener, always with a token. */
export function remoteOf(o: GlobalOpts): Remote | undefined {
  // --token-file alone is the agent's (agent --listen); the CLI uses it only with --server
  if (o.server === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(o.server) ? o.server : `http://${o.server}`);
  } catch {
    throw new CliError(`error: --server ${JSON.stringify(o.server)} is not an address: use http://HOST:PORT (the agent's --listen)`);
  }
  if (url.protocol !== 'http:') throw new CliError(`error: --server ${JSON.stringify(o.server)}: only http:// is supported (the agent's --listen)`);
  if (url.pathname !== '/' || url.search || url.hash || url.username) throw new CliError(`error: --server ${JSON.stringify(o.server)}: give only http://HOST:PORT`);
  if (o.tokenFile === undefined) throw new CliError('error: --server needs --token-file (the agent\'s TCP API always asks for its token)');
  let token: string;
  try {
    token = readFileSync(o.tokenFile, 'utf8').trim();
  } catch (err) {
    throw new CliError(`error: cannot read --token-file ${o.tokenFile}: ${(err as Error).message}`);
  }
  if (!token) throw new CliError(`error: --token-file ${o.tokenFile} is empty`);
  return { url, token };
}
