/**
 * libfaketime (Debian `libfaketime`) shifts the wall clock of one process: the agent under test
 * gets LD_PRELOAD and a timestamp file that the test rewrites (`+1d`, `-1h`). The monotonic
 * clock is left alone (FAKETIME_DONT_FAKE_MONOTONIC), as on a real machine whose clock is stepped.
 * Docker, the CLI and the test itself keep the real time.
 */
import { execFile } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { promisify } from 'node:util';

const LIB = '/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1';
const run = promisify(execFile);

export async function ensureFaketime(): Promise<string> {
  if (existsSync(LIB)) return LIB;
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  await run('apt-get', ['-o', 'DPkg::Lock::Timeout=300', 'update'], { env });
  await run('apt-get', ['-o', 'DPkg::Lock::Timeout=300', 'install', '-y', 'libfaketime'], { env });
  if (!existsSync(LIB)) throw new Error(`installed libfaketime but ${LIB} is missing`);
  return LIB;
}

export class FakeClock {
  constructor(readonly file: string) {
    this.set('+0');
  }

  /** `+1d`, `-1h`, `+0`: the offset of the agent's wall clock from the real one */
  set(offset: string): void {
    writeFileSync(this.file, `${offset}\n`);
  }

  env(lib: string): Record<string, string> {
    return { LD_PRELOAD: lib, FAKETIME_TIMESTAMP_FILE: this.file, FAKETIME_NO_CACHE: '1', FAKETIME_DONT_FAKE_MONOTONIC: '1' };
  }
}
