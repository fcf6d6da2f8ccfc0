/** CPU-profile a piece of this process with the inspector, and summarize where the time went. */
import { Session } from 'node:inspector/promises';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { summarizeProfile, type ProfileLine } from './profile.js';

export interface ProfileSummary {
  file: string;
  self: ProfileLine[];
  total: ProfileLine[];
}

export async function profiled<T>(dir: string, name: string, fn: () => Promise<T>): Promise<{ value: T; profile: ProfileSummary }> {
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 200 });
  await session.post('Profiler.start');
  let value: T;
  const file = join(dir, `${name}.cpuprofile`);
  try {
    value = await fn();
  } finally {
    const { profile } = await session.post('Profiler.stop');
    writeFileSync(file, JSON.stringify(profile));
    session.disconnect();
  }
  const s = summarizeProfile(file, 40);
  return { value, profile: { file, self: s.self, total: s.total } };
}

/** "12.3 ms fn file:line" lines for notes. */
export const topLines = (lines: ProfileLine[], key: 'selfMs' | 'totalMs', n = 8) =>
  lines.slice(0, n).map((l) => `${l[key].toFixed(1)} ms ${l.fn}`);
