/**
 * Access to the agent's API. On the unix socket the file mode is the access control (0600: only
 * the socket's owner and root can connect; 0660 with --socket-group: also that group's members).
 * Node has no SO_PEERCRED API, so the actor recorded for a socket call is what the mode proves:
 * `uid:<owner>` for 0600, `group:<gid>` for 0660. On the optional TCP listener (--listen) every
 * request must carry `Authorization: Bearer <token>`; the comparison takes constant time.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';

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

/** Read and check a token file: not readable or writable by others, and not trivially short. */
export function readTokenFile(file: string, flag = '--token-file'): string {
  let text: string;
  let mode: number;
  try {
    text = readFileSync(file, 'utf8');
    mode = statSync(file).mode;
  } catch (err) {
    throw new Error(`cannot read ${flag} ${file}: ${(err as Error).message}`);
  }
  if ((mode & 0o007) !== 0) throw new Error(`${flag} ${file} is accessible to other users (mode ${(mode & 0o777).toString(8)}); chmod 600 it`);
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
