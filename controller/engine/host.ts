/**
 * DOCKER_HOST as the docker CLI reads it, turned into dockerode's options:
 * - unset: unix:///var/run/docker.sock;
 * - `unix:///path`;
 * - `tcp://host[:port]` (or a bare `host:port`): plain HTTP on 2375, or, when DOCKER_TLS_VERIFY is
 *   set (to anything), TLS on 2376 that verifies the engine against `$DOCKER_CERT_PATH/ca.pem` and
 *   presents `cert.pem`/`key.pem` (DOCKER_CERT_PATH defaults to ~/.docker, as for the CLI);
 * - `ssh://[user@]host[:port]`: dockerode's ssh transport, authenticated by the ssh-agent at
 *   SSH_AUTH_SOCK, running `docker system dial-stdio` on the remote (a connection per request).
 *
 * Every option docker-modem would otherwise take from the environment on its own is given here
 * explicitly, so the address the agent was given is the one it speaks to.
 */
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { homedir, userInfo } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import type Dockerode from 'dockerode';

/** A DOCKER_HOST or TLS setting that cannot work: the agent does not start on it. */
export class EngineConfigError extends Error {}

/** dockerode's options, and docker-modem's that dockerode hands on to it (its types leave them out) */
export type EngineOptions = Dockerode.DockerOptions & { agent?: http.Agent; pathPrefix?: string };

export interface EngineTarget {
  /** how the engine is reached, for messages: `unix:///run/docker.sock`, `tcp://h:2376 (TLS)` */
  address: string;
  transport: 'unix' | 'tcp' | 'tls' | 'ssh';
  /** dockerode's options, without `agent` */
  options: EngineOptions;
  /** a kept-alive connection pool for these options (none for ssh: a connection per request) */
  newAgent?: () => http.Agent;
}

export type EngineEnv = Partial<Record<'DOCKER_HOST' | 'DOCKER_TLS_VERIFY' | 'DOCKER_CERT_PATH' | 'SSH_AUTH_SOCK', string>>;

export const DEFAULT_SOCKET = '/var/run/docker.sock';

/** the API version in the paths: Docker 20.10's, or an older engine's own once it names it (client.ts) */
export const API_VERSION = 'v1.41';

/** What docker-modem reads from the environment by itself, cleared so that only our options count. */
const NOTHING_FROM_ENV = { socketPath: undefined, host: undefined, port: undefined, protocol: undefined, ca: undefined, cert: undefined, key: undefined, username: undefined, timeout: undefined, pathPrefix: '/' };

/** A kept-alive connection pool for the client's life (a pass is two list calls on one socket). */
const keptAlive = { keepAlive: true, maxSockets: 4 };

/**
 * The pool, shown as one word by util.inspect. docker-modem formats every request's options for a
 * debug line even when debugging is off (util.inspect, showHidden, no depth limit), and the pool is
 * among them: without this it walked every socket of the pool on every call (under B6's container
 * churn, 70 of the 910 MB a minute the agent allocated, and CPU time on every call).
 */
function pool<A extends http.Agent>(agent: A): A {
  Object.defineProperty(agent, inspect.custom, { value: () => `[${agent.constructor.name}: kept-alive pool]` });
  return agent;
}

function readCert(dir: string, name: string): Buffer {
  const file = join(dir, name);
  try {
    return readFileSync(file);
  } catch (err) {
    throw new EngineConfigError(`DOCKER_TLS_VERIFY is set, but ${file} cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); DOCKER_CERT_PATH must hold ca.pem, cert.pem and key.pem`);
  }
}

function parseUrl(host: string): URL {
  try {
    return new URL(host);
  } catch {
    throw new EngineConfigError(`DOCKER_HOST=${host}: not an address; use unix:///path, tcp://host:port or ssh://user@host`);
  }
}

function tcpTarget(u: URL, host: string, env: EngineEnv): EngineTarget {
  if (u.pathname && u.pathname !== '/') throw new EngineConfigError(`DOCKER_HOST=${host}: a tcp:// address takes no path`);
  const hostname = u.hostname.replace(/^\[(.*)\]$/, '$1');
  if (!env.DOCKER_TLS_VERIFY) {
    const port = Number(u.port || 2375);
    return { address: `tcp://${u.hostname}:${port}`, transport: 'tcp', options: { ...NOTHING_FROM_ENV, host: hostname, port, protocol: 'http' }, newAgent: () => pool(new http.Agent(keptAlive)) };
  }
  const port = Number(u.port || 2376);
  const dir = env.DOCKER_CERT_PATH || join(homedir(), '.docker');
  const tls = { ca: readCert(dir, 'ca.pem'), cert: readCert(dir, 'cert.pem'), key: readCert(dir, 'key.pem') };
  return {
    address: `tcp://${u.hostname}:${port} (TLS, certificates from ${dir})`,
    transport: 'tls',
    options: { ...NOTHING_FROM_ENV, host: hostname, port, protocol: 'https', ...tls },
    newAgent: () => pool(new https.Agent({ ...keptAlive, ...tls })),
  };
}

function sshTarget(u: URL, host: string, env: EngineEnv): EngineTarget {
  if (u.pathname && u.pathname !== '/') throw new EngineConfigError(`DOCKER_HOST=${host}: an ssh:// address takes no path`);
  if (u.password) throw new EngineConfigError(`DOCKER_HOST=${host}: no password in the address; the ssh-agent (SSH_AUTH_SOCK) authenticates`);
  if (!env.SSH_AUTH_SOCK) throw new EngineConfigError(`DOCKER_HOST=${host}: ssh:// authenticates with an ssh-agent, and SSH_AUTH_SOCK is not set`);
  const username = decodeURIComponent(u.username) || userInfo().username;
  const port = Number(u.port || 22);
  const hostname = u.hostname.replace(/^\[(.*)\]$/, '$1');
  // no kept-alive agent: docker-modem opens an ssh connection (and a dial-stdio) per request
  return { address: `ssh://${username}@${hostname}:${port}`, transport: 'ssh', options: { ...NOTHING_FROM_ENV, host: hostname, port, protocol: 'ssh', username, sshOptions: { agent: env.SSH_AUTH_SOCK } } };
}

/** The engine of `host` (DOCKER_HOST), with TLS and ssh settings from `env`. Throws EngineConfigError. */
export function engineTarget(host: string | undefined, env: EngineEnv = process.env): EngineTarget {
  const h = host?.trim() ?? '';
  if (!h || h.startsWith('unix://')) {
    const socketPath = h.slice('unix://'.length) || DEFAULT_SOCKET;
    return { address: `unix://${socketPath}`, transport: 'unix', options: { ...NOTHING_FROM_ENV, socketPath, protocol: 'http' }, newAgent: () => pool(new http.Agent(keptAlive)) };
  }
  const u = parseUrl(h.includes('://') ? h : `tcp://${h}`);
  if (u.protocol === 'tcp:') return tcpTarget(u, h, env);
  if (u.protocol === 'ssh:') return sshTarget(u, h, env);
  throw new EngineConfigError(`DOCKER_HOST=${h}: ${u.protocol.slice(0, -1)}:// is not an engine address here; use unix:///path, tcp://host:port (DOCKER_TLS_VERIFY, DOCKER_CERT_PATH for TLS) or ssh://user@host`);
}
