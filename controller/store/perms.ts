/**
 * The store's files are the agent's alone: never readable or writable by other users, whatever
 * the umask they were made under (LevelDB makes its files 0666 & ~umask: 0666 under umask 000, so
 * another user could append a crafted write batch; 0644 under 022, so a Workload's env could be
 * read). Before the store is opened, every file and directory in the state directory is checked:
 * one owned by another user is refused (someone else wrote there), and group and other
 * permissions are taken away. The socket is left alone (its mode is the API's access control).
 */
import { chmodSync, lstatSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

export class StorePermissionError extends Error {}

/** Entries below the state directory that are checked, at most this deep (cache/archives/x.tar). */
const DEPTH = 3;

export function securePrivate(dir: string, uid = process.geteuid?.() ?? 0, depth = DEPTH): void {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return; // not there yet: LevelDB makes it, under the agent's umask
  }
  for (const name of names) {
    const p = join(dir, name);
    const st = lstatSync(p);
    if (st.isSocket() || st.isSymbolicLink()) continue;
    if (st.uid !== uid) {
      throw new StorePermissionError(`${p} in the state directory is owned by uid ${st.uid}, not by the agent's user (uid ${uid}): another user wrote there, and the store may have been tampered with. Check it, then remove it or chown it`);
    }
    if ((st.mode & 0o077) !== 0) {
      try {
        chmodSync(p, st.mode & 0o700);
      } catch (err) {
        throw new StorePermissionError(`cannot make ${p} private to the agent (mode ${(st.mode & 0o777).toString(8)}): ${(err as Error).message}`);
      }
    }
    if (st.isDirectory() && depth > 1) securePrivate(p, uid, depth - 1);
  }
}
