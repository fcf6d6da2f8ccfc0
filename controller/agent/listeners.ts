/**
 * Where the API listens: the unix socket (mode 0600, or 0660 with --socket-group, in a directory
 * that is not world-writable; a stale socket is replaced only when no live agent answers on it),
 * and optionally a TCP address (--listen, off by default) that answers 401 to every request
 * without the bearer token.
 */
import { chmodSync, chownSync, lstatSync, readFileSync, unlinkSync } from 'node:fs';
import http from 'node:http';
import { bearerCheck, groupId, parseListen, readTokenFile } from './auth.js';
import { probeSocket } from './probe.js';

export class ListenError extends Error {}

/**
 * Refuse a socket path that is something else than a stale socket (its directory is checked to be
 * the agent's own first: dirs.ts).
 */
export async function prepareSocketPath(socket: string): Promise<void> {
  // another agent answering on the socket: leave it alone
  const live = await probeSocket(socket);
  if (live) throw new ListenError(`another imagectl agent (pid ${live.pid}) is already serving ${socket} for ${live.stateDir}`);
  let st;
  try {
    st = lstatSync(socket);
  } catch {
    return; // nothing there
  }
  if (!st.isSocket()) throw new ListenError(`${socket} exists and is not a socket; refusing to replace it`);
  unlinkSync(socket); // stale: nobody answered
}

/** Listen on the unix socket with the right mode; returns the actor its peers are recorded as. */
export async function listenUnix(server: http.Server, socket: string, group?: string): Promise<string> {
  const gid = group === undefined ? undefined : groupId(group, readFileSync('/etc/group', 'utf8'));
  const oldMask = process.umask(gid === undefined ? 0o177 : 0o117);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(socket, () => resolve());
    });
  } finally {
    process.umask(oldMask);
  }
  if (gid === undefined) {
    chmodSync(socket, 0o600);
    return `uid:${process.getuid?.() ?? 0}`;
  }
  chownSync(socket, -1, gid);
  chmodSync(socket, 0o660);
  return `group:${gid}`;
}

/** The optional TCP listener: every request needs the bearer token; actor `token`. */
export async function listenTcp(
  listen: string,
  tokenFile: string | undefined,
  handle: (req: http.IncomingMessage, res: http.ServerResponse, actor: string) => void,
): Promise<{ server: http.Server; address: string }> {
  if (!tokenFile) throw new ListenError('--listen needs --token-file: the TCP API never runs without a token');
  let check: (h: string | undefined) => boolean;
  let addr: { host: string; port: number };
  try {
    check = bearerCheck(readTokenFile(tokenFile));
    addr = parseListen(listen);
  } catch (err) {
    throw new ListenError((err as Error).message);
  }
  const server = http.createServer((req, res) => {
    if (!check(req.headers.authorization)) {
      const body = JSON.stringify({ kind: 'Status', status: 'Failure', code: 401, message: 'unauthorized: send Authorization: Bearer <token from --token-file>' });
      res.writeHead(401, { 'content-type': 'application/json', 'www-authenticate': 'Bearer', connection: 'close', 'content-length': Buffer.byteLength(body) });
      res.end(body);
      return;
    }
    handle(req, res, 'token');
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err) => reject(new ListenError(`--listen ${listen}: ${(err as Error).message}`)));
    server.listen(addr.port, addr.host, () => resolve());
  });
  return { server, address: `${addr.host}:${addr.port}` };
}
