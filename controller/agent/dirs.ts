/**
 * The agent's own directories (the state directory and the socket's). A missing one is made, 0700.
 * An existing one must be the agent's: owned by its user and writable by nobody else, or another
 * user could write the store (a crafted policy), read it (a Workload's env), or put a listener of
 * her own where the socket goes (and receive what the CLI sends). It must not be replaceable
 * either: every directory above it (and every symlink on the way) belongs to root or the agent, and
 * one that others may write has the sticky bit (/tmp), so nobody else can rename it away.
 */
import { lstatSync, mkdirSync, realpathSync, statSync, type Stats } from 'node:fs';
import { dirname, resolve, sep } from 'node:path';

export class DirectoryError extends Error {}

const octal = (mode: number) => (mode & 0o7777).toString(8).padStart(4, '0');
const STICKY = 0o1000;

/** Why one directory on the way (`dir`'s own, or one above it) lets another user in, or null. */
function problem(path: string, st: Stats, uid: number, own: boolean): string | null {
  if (own && st.uid !== uid) return `is owned by uid ${st.uid}, not by the agent's user (uid ${uid}): chown ${uid} ${path}`;
  if (!own && st.uid !== uid && st.uid !== 0) return `can be replaced by uid ${st.uid}, who owns ${path}`;
  if (own && (st.mode & 0o002) !== 0) return `is world-writable (mode ${octal(st.mode)}): chmod go-w ${path}`;
  if (own && (st.mode & 0o020) !== 0) return `is writable by its group (mode ${octal(st.mode)}): chmod go-w ${path}`;
  if (!own && (st.mode & 0o022) !== 0 && (st.mode & STICKY) === 0) return `can be replaced by another user: ${path} is writable by others (mode ${octal(st.mode)}) without the sticky bit`;
  return null;
}

/** Every path from `/` down to `p` (`/`, `/a`, `/a/b`). */
function prefixes(p: string): string[] {
  const out = ['/'];
  let cur = '';
  for (const part of p.split(sep).filter(Boolean)) out.push((cur += `${sep}${part}`));
  return out;
}

/**
 * Make `dir` if it is missing (0700, and whatever is missing above it), then check it is the
 * agent's own; throws DirectoryError saying what to fix. `what`/`flag` name it in the message.
 */
export function ownDirectory(dirArg: string, what: string, flag: string, uid = process.geteuid?.() ?? 0): void {
  const dir = resolve(dirArg);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const fail = (why: string) => new DirectoryError(`the ${what} ${dir} ${why}; or choose another ${flag}`);
  // the path as given: a symlink on it that another user owns can be pointed elsewhere at any time
  for (const p of prefixes(dir)) {
    const st = lstatSync(p);
    if (st.isSymbolicLink() && st.uid !== uid && st.uid !== 0) throw fail(`can be replaced by uid ${st.uid}, who owns the symlink ${p}`);
  }
  const real = realpathSync(dir);
  if (!statSync(real).isDirectory()) throw fail('is not a directory');
  const chain = prefixes(real);
  for (const [i, p] of chain.entries()) {
    const why = problem(p, statSync(p), uid, i === chain.length - 1);
    if (why) throw fail(why);
  }
}

/** The directory of the socket (a path given with --socket may put it anywhere). */
export const socketDir = (socket: string) => dirname(resolve(socket));
