/**
 * `imagectl fleet dashboard` as users run it (the built CLI, bin/imagectl.js with its node flags),
 * for the tests and the bench: started, waited for until it says where it serves, stopped by pid.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { BIN, NODE_FLAGS, waitFor } from './agent.js';

export class DashboardProcess {
  child: ChildProcess | null = null;
  out = '';
  err = '';
  url = '';

  constructor(readonly fleetUrl: string, readonly args: string[], readonly extraGlobal: string[] = []) {}

  /** Start it and wait for "Serving the fleet dashboard on URL". */
  async start(timeoutMs = 60_000): Promise<string> {
    const child = spawn(process.execPath, [...NODE_FLAGS, BIN, '--fleet', this.fleetUrl, ...this.extraGlobal, 'fleet', 'dashboard', ...this.args], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    child.stdout!.on('data', (c) => (this.out += c));
    child.stderr!.on('data', (c) => (this.err += c));
    await waitFor(`the dashboard to serve\n${this.err}`, async () => {
      if (child.exitCode !== null) throw new Error(`the dashboard exited with ${child.exitCode}: ${this.err}`);
      const m = /Serving the fleet dashboard on (\S+)/.exec(this.out);
      return m ? (this.url = m[1]!) : null;
    }, timeoutMs, 50);
    return this.url;
  }

  /** Run it to its exit (a start that is refused). */
  async exit(timeoutMs = 30_000): Promise<number> {
    const child = spawn(process.execPath, [...NODE_FLAGS, BIN, '--fleet', this.fleetUrl, ...this.extraGlobal, 'fleet', 'dashboard', ...this.args], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    child.stdout!.on('data', (c) => (this.out += c));
    child.stderr!.on('data', (c) => (this.err += c));
    const t = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    const code = await new Promise<number>((r) => child.once('exit', (c) => r(c ?? -1)));
    clearTimeout(t);
    this.child = null;
    return code;
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    child.kill('SIGTERM');
    const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(t);
    this.child = null;
  }
}
