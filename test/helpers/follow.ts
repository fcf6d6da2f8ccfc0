/** A CLI process left running (`get -w`, `wait`), for the integration tests. */
import { spawn } from 'node:child_process';
import { BIN, NODE_FLAGS, waitFor } from './agent.js';

/** A CLI process left running (`get -w`): its output so far, a wait for a line, and a stop. */
export function followCli(args: string[], env: Record<string, string> = {}, o: { timeoutMs?: number } = {}) {
  const child = spawn(process.execPath, [...NODE_FLAGS, BIN, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.on('data', (c) => (out += c));
  child.stderr!.on('data', (c) => (err += c));
  let code: number | null = null;
  const exited = new Promise<number>((r) => child.on('close', (c) => r((code = c ?? -1))));
  return {
    child,
    get out() {
      return out;
    },
    get err() {
      return err;
    },
    exited,
    /** Wait for a line; on a timeout the error shows the output as it is then. */
    line: (re: RegExp, what = String(re)) => waitFor(what, async () => out.split('\n').find((l) => re.test(l)), o.timeoutMs ?? 60_000, 50).catch((e: Error) => {
      throw new Error(`${e.message} in the output of imagectl ${args.join(' ')}${code === null ? '' : ` (it exited ${code})`}:\n${out}${err}`);
    }),
    stop: () => {
      if (child.exitCode === null) child.kill('SIGINT');
      return exited;
    },
  };
}

