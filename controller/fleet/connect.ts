/**
 * Connecting to the fleet's hub (SPEC §10): `nats://` or `tls://` URLs (several, comma-separated,
 * for a cluster), credentials as user:password in the URL, the user in the URL and a password file
 * (what `fleet nats-config` writes), or a NATS `.creds` file; `tls://` takes a CA and optionally a
 * client certificate. Every failure is an error that says what to fix.
 */
import { readFileSync } from 'node:fs';
import { connect, credsAuthenticator, type NatsConnection, type NodeConnectionOptions } from '@nats-io/transport-node';

export interface FleetAuth {
  /** `nats://[user[:password]@]host:port[,...]` or `tls://...` */
  url: string;
  passwordFile?: string;
  credsFile?: string;
  caFile?: string;
  certFile?: string;
  keyFile?: string;
}

export class FleetError extends Error {}

/** The user the connection authenticates as (for inbox prefixes and audit actors), or null. */
export function fleetUser(url: string): string | null {
  const first = url.split(',')[0]!.trim();
  try {
    const u = new URL(first);
    return u.username ? decodeURIComponent(u.username) : null;
  } catch {
    return null;
  }
}

function readSecret(file: string, what: string, raw = false): string {
  try {
    const text = readFileSync(file, 'utf8');
    const s = raw ? (text.trim() ? text : '') : text.trim();
    if (!s) throw new FleetError(`${what} ${file} is empty`);
    return s;
  } catch (err) {
    if (err instanceof FleetError) throw err;
    throw new FleetError(`cannot read ${what} ${file}: ${(err as Error).message}`);
  }
}

/** The connection options for `a`, checked; nothing is contacted. */
export function connectOptions(a: FleetAuth, name: string): NodeConnectionOptions {
  const servers: string[] = [];
  let user: string | undefined;
  let pass: string | undefined;
  let tls = false;
  for (const raw of a.url.split(',').map((s) => s.trim()).filter(Boolean)) {
    let u: URL;
    try {
      u = new URL(/^[a-z]+:\/\//i.test(raw) ? raw : `nats://${raw}`);
    } catch {
      throw new FleetError(`--fleet ${JSON.stringify(a.url)}: not a URL (want nats://HOST:PORT or tls://HOST:PORT)`);
    }
    if (u.protocol !== 'nats:' && u.protocol !== 'tls:') throw new FleetError(`--fleet ${JSON.stringify(raw)}: the scheme must be nats:// or tls://`);
    if (u.protocol === 'tls:') tls = true;
    if (u.username) user = decodeURIComponent(u.username);
    if (u.password) pass = decodeURIComponent(u.password);
    servers.push(`${u.hostname}:${u.port || '4222'}`);
  }
  if (servers.length === 0) throw new FleetError('--fleet: no server given');
  if (a.passwordFile) {
    if (!user) throw new FleetError('--fleet-password-file needs the user in the URL (nats://USER@HOST:PORT)');
    pass = readSecret(a.passwordFile, '--fleet-password-file');
  }
  // noAsyncTraces: no stack captured at every request (a device makes thousands; the errors say enough)
  const o: NodeConnectionOptions = { servers, name, maxReconnectAttempts: -1, reconnectTimeWait: 500, noAsyncTraces: true };
  if (a.credsFile) {
    if (user) throw new FleetError('--fleet-creds cannot be combined with a user in the URL');
    // as written: the format's end markers need their line ends
    o.authenticator = credsAuthenticator(new TextEncoder().encode(`${readSecret(a.credsFile, '--fleet-creds', true)}\n`));
  } else if (user) {
    o.user = user;
    if (pass !== undefined) o.pass = pass;
  }
  if ((a.caFile || a.certFile || a.keyFile) && !tls) throw new FleetError('--fleet-ca, --fleet-cert and --fleet-key need a tls:// URL');
  if (!!a.certFile !== !!a.keyFile) throw new FleetError('--fleet-cert and --fleet-key go together');
  if (tls) o.tls = { ...(a.caFile ? { caFile: a.caFile } : {}), ...(a.certFile ? { certFile: a.certFile, keyFile: a.keyFile } : {}) };
  // a user's replies come back on its own inbox prefix, so permissions can keep users apart
  if (user) o.inboxPrefix = `_INBOX_${user}`;
  return o;
}

/** Why connecting failed, in words an operator can act on. */
export function connectError(a: FleetAuth, err: unknown): FleetError {
  const e = err as Error & { code?: string };
  const where = a.url.replace(/\/\/([^@/]*)@/, (_m, cred: string) => `//${cred.split(':')[0]}@`);
  const msg = String(e.message ?? e);
  if (a.credsFile && /parse credentials/i.test(msg)) return new FleetError(`--fleet-creds ${a.credsFile}: not a NATS .creds file (${msg})`);
  if (/authorization|authentication|AUTHORIZATION|auth/i.test(msg)) return new FleetError(`the fleet hub at ${where} refused the credentials (${msg})`);
  if (/ECONNREFUSED|CONNECTION_REFUSED|connection refused/i.test(msg + (e.code ?? ''))) return new FleetError(`cannot reach the fleet hub at ${where}: nobody is listening (is nats-server running with -js?)`);
  const tls = /(^|,)\s*tls:\/\//.test(a.url);
  const hint = tls && /certificate|self.signed|verify/i.test(msg) && !a.caFile ? ' (give the CA that signed the hub\'s certificate with --fleet-ca)'
    : tls && /timeout|closed|reset/i.test(msg) && !a.certFile ? ' (does the hub ask for a client certificate? give --fleet-cert and --fleet-key)'
      : '';
  return new FleetError(`cannot reach the fleet hub at ${where}: ${msg}${hint}`);
}

/** Connect once, failing fast (a CLI command). */
export async function connectOnce(a: FleetAuth, name: string): Promise<NatsConnection> {
  const o = connectOptions(a, name);
  try {
    return await connect({ ...o, maxReconnectAttempts: 0, timeout: 5_000 });
  } catch (err) {
    throw connectError(a, err);
  }
}

/** One attempt at a connection that, once made, reconnects for ever (a device; its caller retries the first). */
export async function connectForever(a: FleetAuth, name: string): Promise<NatsConnection> {
  const o = connectOptions(a, name);
  try {
    return await connect({ ...o, timeout: 10_000 });
  } catch (err) {
    throw connectError(a, err);
  }
}
