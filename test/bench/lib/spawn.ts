import { runProcess, type CliResult } from '../../helpers/agent.js';

export interface Timed extends CliResult {
  ms: number;
}

/** Run a command to its end; wall time from spawn to exit. */
export async function timed(cmd: string, args: string[], env: Record<string, string> = {}, timeoutMs = 120_000): Promise<Timed> {
  const t = performance.now();
  const r = await runProcess(cmd, args, { env, timeoutMs });
  return { ...r, ms: performance.now() - t };
}
