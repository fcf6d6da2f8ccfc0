import { spawn } from 'node:child_process';

export interface Timed {
  ms: number;
  code: number;
  stdout: string;
  stderr: string;
}

/** Run a command to its end; wall time from spawn to exit. */
export function timed(cmd: string, args: string[], env: Record<string, string> = {}, timeoutMs = 120_000): Promise<Timed> {
  return new Promise((resolve, reject) => {
    const t = performance.now();
    const child = spawn(cmd, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${cmd} ${args.join(' ')} timed out`));
    }, timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ ms: performance.now() - t, code: code ?? -1, stdout, stderr });
    });
  });
}
