/** What LevelDB leaves on disk when it recovers a damaged log: kept aside and reported by the store. */
import { copyFileSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Copy the `*.log` files of a LevelDB directory into `to`; returns `to`, or null when there were none or copying failed. */
export function copyLogs(dir: string, to: string): string | null {
  try {
    const logs = readdirSync(dir).filter((f) => /^\d+\.log$/.test(f));
    if (logs.length === 0) return null;
    mkdirSync(to, { recursive: true, mode: 0o700 });
    for (const f of logs) copyFileSync(join(dir, f), join(to, f));
    return to;
  } catch {
    return null; // best effort (a full or read-only file system): the open itself will tell
  }
}

/** The first line of LevelDB's info LOG that reports records dropped at recovery, or null. */
export function recoveryDrops(dir: string): string | null {
  let log: string;
  try {
    log = readFileSync(join(dir, 'LOG'), 'utf8');
  } catch {
    return null;
  }
  const line = log.split('\n').find((l) => /dropping \d+ bytes|Corruption:/.test(l));
  return line ? line.replace(/^\S+ \S+ /, '').slice(0, 300) : null;
}
