/**
 * Run the real CLI and the real agent as child processes against the test stack's engine.
 * The built CLI (dist/, made by `npm test`'s pretest build) is what users run.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { StackInfo } from '../stack/stack.js';

export const BIN = resolve(import.meta.dirname, '../../bin/imagectl.js');
/** Node's flags from the bin's `exec node … "$0" "$@"` line: the CLI and agent run as users run them. */
export const NODE_FLAGS = (/^":" \/\/; exec node (.*) "\$0" "\$@"$/m.exec(readFileSync(BIN, 'utf8'))?.[1] ?? '').trim().split(/\s+/).filter(Boolean);

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Run a process to its end and collect its output; `input` is written to its stdin (else stdin is /dev/null). */
export function runProcess(cmd: string, args: string[], opts: { env?: Record<string, string>; input?: string; timeoutMs?: number; label?: string } = {}): Promise<CliResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(cmd, args, { env: { ...process.env, ...opts.env }, stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (c) => (stdout += c));
    child.stderr!.on('data', (c) => (stderr += c));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${opts.label ?? `${cmd} ${args.join(' ')}`} timed out\n${stderr}`));
    }, opts.timeoutMs ?? 20_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolvePromise({ code: code ?? -1, stdout, stderr });
    });
    if (opts.input !== undefined) child.stdin!.end(opts.input);
  });
}

export function runCli(args: string[], opts: { env?: Record<string, string>; input?: string; timeoutMs?: number } = {}): Promise<CliResult> {
  return runProcess(process.execPath, [...NODE_FLAGS, BIN, ...args], { ...opts, input: opts.input ?? '', label: `imagectl ${args.join(' ')}` });
}

export async function waitFor<T>(what: string, fn: () => Promise<T | undefined | null | false>, timeoutMs = 20_000, everyMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export class AgentProcess {
  child: ChildProcess | null = null;
  log = '';
  readonly socket: string;
  /** extra environment for the agent process only (e.g. libfaketime in the clock test) */
  agentEnv: Record<string, string> = {};

  /** `nodeFlags`: node options for the agent process, after the bin's own (e.g. --cpu-prof in the bench) */
  constructor(readonly stack: StackInfo, readonly stateDir: string, readonly extraArgs: string[] = [], readonly nodeFlags: string[] = []) {
    this.socket = join(stateDir, 'imagectl.sock');
  }

  static tempStateDir(): string {
    return mkdtempSync(join(tmpdir(), 'ictl-'));
  }

  get env(): Record<string, string> {
    return { DOCKER_HOST: this.stack.dockerHost, IMAGECTL_STATE_DIR: this.stateDir };
  }

  /** Start the agent and wait until its API answers and it has observed the engine once. */
  async start(): Promise<void> {
    const child = spawn(process.execPath, [...NODE_FLAGS, ...this.nodeFlags, BIN, 'agent', '--interval', '1s', ...this.extraArgs], {
      env: { ...process.env, ...this.env, ...this.agentEnv },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    child.stdout!.on('data', (c) => (this.log += c));
    child.stderr!.on('data', (c) => (this.log += c));
    // generous: over ssh every engine request is a new ssh session, and the first pass replays the engine's events
    await waitFor(`the agent to answer on ${this.socket}\n${this.log}`, async () => {
      if (child.exitCode !== null) throw new Error(`agent exited with ${child.exitCode}: ${this.log}`);
      const r = await this.cli(['version']);
      // ready: the engine answers and the first whole pass is done (the engine's events replayed)
      return r.stdout.includes('Docker Engine: reachable') && !r.stdout.includes('Reconciled: not yet');
    }, 60_000);
  }

  cli(args: string[], input?: string): Promise<CliResult> {
    return runCli(args, { env: this.env, input });
  }

  async json<T = any>(args: string[]): Promise<T> {
    const r = await this.cli(args);
    if (r.code !== 0) throw new Error(`imagectl ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
    return JSON.parse(r.stdout) as T;
  }

  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((r) => {
      child.once('exit', () => r());
      child.kill(signal);
    });
    this.child = null;
  }

  async stop(): Promise<void> {
    await this.kill('SIGTERM');
  }

  async dispose(): Promise<void> {
    await this.kill('SIGKILL');
    rmSync(this.stateDir, { recursive: true, force: true });
  }
}
