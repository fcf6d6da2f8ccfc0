/**
 * Access to the agent's API. On the unix socket the file mode is the access control (0600: only
 * the socket's owner and root can connect; 0660 with --socket-group: also that group's members).
 * Node has no SO_PEERCRED API, so the actor recorded for a socket call is what the mode proves:
 * `uid:<owner>` for 0600, `group:<gid>` for 0660. On the optional TCP listener (--listen) every
 * request must carry `Authorization: Bearer <token>`; the comparison takes constant time.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { closeSync, fstatSync, openSync, readFileSync, type Stats } from 'node:fs';

const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();

/** A bearer-token check in constant time (both sides hashed to the same length first). */
export function bearerCheck(token: string): (authorization: string | undefined) => boolean {
  const want = digest(token);
  return (authorization) => {
    const m = /^Bearer (.+)$/.exec(authorization ?? '');
    // hash even when the header is missing or malformed, so timing does not tell which it was
    const got = digest(m ? m[1]! : '\0invalid');
    return timingSafeEqual(got, want) && m !== null;
  };
}

/** Who a token file must belong to, and the flag that named it (for the messages). */
export interface TokenFileOwner {
  flag?: string;
  /** the uid the file must be owned by: the process's own (the agent's user) */
  uid?: number;
  /** how the messages name that user */
  user?: string;
}

/**
 * Read and check a token file: the process user's own (0600 or 0400: no group or other bits, owned
 * by its uid), and not trivially short. Checked on the file that was read (fstat of the open
 * descriptor), so a swap between the check and the read does not count. The API's, the metrics
 * port's and the fleet dashboard's token files all go through here.
 */
export function readTokenFile(file: string, o: TokenFileOwner = {}): string {
  const { flag = '--token-file', uid = process.geteuid?.() ?? 0, user = "the agent's user" } = o;
  let text: string;
  let st: Stats;
  let fd: number | undefined;
  try {
    fd = openSync(file, 'r');
    st = fstatSync(fd);
    text = st.isFile() ? readFileSync(fd, 'utf8') : '';
  } catch (err) {
    throw new Error(`cannot read ${flag} ${file}: ${(err as Error).message}`);
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
  if (!st.isFile()) throw new Error(`${flag} ${file} is not a regular file`);
  if ((st.mode & 0o077) !== 0) throw new Error(`${flag} ${file} is accessible to other users (mode ${(st.mode & 0o777).toString(8).padStart(4, '0')}); chmod 600 it`);
  if (st.uid !== uid) throw new Error(`${flag} ${file} is owned by uid ${st.uid}, not by ${user} (uid ${uid}); chown ${uid} it`);
  const token = text.trim();
  if (token.length < 16) throw new Error(`${flag} ${file} holds a token of ${token.length} characters; use at least 16 (e.g. openssl rand -hex 32)`);
  if (/\s/.test(token)) throw new Error(`${flag} ${file}: the token must be one line without spaces`);
  return token;
}

/** `127.0.0.1:8080` → host and port; a port alone means 127.0.0.1. */
export function parseListen(s: string, flag = '--listen'): { host: string; port: number } {
  const m = /^(?:\[?([^\]]*)\]?:)?(\d{1,5})$/.exec(s.trim());
  const port = m ? Number(m[2]) : NaN;
  if (!m || !(port > 0 && port < 65536)) throw new Error(`${flag} ${JSON.stringify(s)}: want HOST:PORT, e.g. 127.0.0.1:7443`);
  return { host: m[1] || '127.0.0.1', port };
}

/** A group name or number → gid, from /etc/group's text. */
export function groupId(name: string, etcGroup: string): number {
  if (/^\d+$/.test(name)) return Number(name);
  for (const line of etcGroup.split('\n')) {
    const [n, , gid] = line.split(':');
    if (n === name && gid !== undefined && /^\d+$/.test(gid)) return Number(gid);
  }
  throw new Error(`--socket-group: no group ${JSON.stringify(name)}`);
}
