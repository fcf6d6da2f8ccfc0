/** Driving a real agent process (the built CLI) for the benchmarks. */
import http from 'node:http';
import { readFileSync, rmSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ImagePolicy } from '../../../crd/imagepolicy/type.js';
import { AgentProcess, runCli, type CliResult } from '../../helpers/agent.js';
import type { StackInfo } from '../../stack/stack.js';
import type { AuditRecord } from '../../../crd/api/audit.js';
import { stringify } from 'yaml';
import { sleep } from './stats.js';

export interface Health {
  passes: number;
  lastPass: { at: string; durationMs: number; error: string | null } | null;
  nextDueAt: string | null;
  pid: number;
}

/** GET on the agent's unix socket; parsed JSON. */
export function apiGet<T>(socket: string, path: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const req = http.get({ socketPath: socket, path }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        try {
          resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')) as T);
        } catch (e) {
          reject(e);
        }
      });
    });
    req.on('error', reject);
  });
}

export function apiPost<T>(socket: string, path: string, body: unknown): Promise<T> {
  return new Promise((resolve, reject) => {
    const payload = JSON.stringify(body);
    const req = http.request({ socketPath: socket, path, method: 'POST', headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        if ((res.statusCode ?? 500) >= 400) reject(new Error(`POST ${path}: ${res.statusCode} ${text.slice(0, 500)}`));
        else resolve(JSON.parse(text) as T);
      });
    });
    req.on('error', reject);
    req.end(payload);
  });
}

/** Every agent process started, so that none outlives the bench, even when it crashes. */
const live = new Set<AgentProcess>();
process.on('exit', () => {
  for (const p of live) {
    try {
      p.child?.kill('SIGKILL');
      rmSync(p.stateDir, { recursive: true, force: true });
    } catch {
      // gone
    }
  }
});

export class BenchAgent {
  readonly proc: AgentProcess;
  constructor(stack: StackInfo, extraArgs: string[] = [], nodeFlags: string[] = []) {
    // no periodic resync during a measurement: passes come from events, apply and due timers
    this.proc = new AgentProcess(stack, AgentProcess.tempStateDir(), ['--interval', '1h', '--log-level', 'warn', ...extraArgs], nodeFlags);
    live.add(this.proc);
  }

  get socket(): string {
    return this.proc.socket;
  }

  get pid(): number {
    return this.proc.child?.pid ?? 0;
  }

  async start(): Promise<void> {
    await this.proc.start();
    // the first pass has run once the engine is reachable; wait for it to be committed
    for (let i = 0; i < 200 && (await this.health()).passes < 1; i++) await sleep(50);
  }

  health(): Promise<Health> {
    return apiGet<Health>(this.socket, '/v1/health');
  }

  cli(args: string[], timeoutMs = 120_000): Promise<CliResult> {
    return runCli(args, { env: this.proc.env, timeoutMs });
  }

  async apply(policies: ImagePolicy[]): Promise<void> {
    await apiPost(this.socket, '/v1/apply', { objects: policies });
  }

  /** Apply through the CLI, from files (what an operator does). */
  async applyFiles(policies: ImagePolicy[]): Promise<void> {
    const dir = mkdtempSync(join(tmpdir(), 'ictl-bench-m-'));
    try {
      writeFileSync(join(dir, 'p.yaml'), policies.map((p) => stringify(p)).join('---\n'));
      const r = await this.cli(['apply', '-f', dir]);
      if (r.code !== 0) throw new Error(`apply failed: ${r.stderr}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  async audit(sinceMs?: number): Promise<AuditRecord[]> {
    const out: AuditRecord[] = [];
    await new Promise<void>((resolve, reject) => {
      const req = http.get({ socketPath: this.socket, path: `/v1/audit${sinceMs !== undefined ? `?since=${sinceMs}` : ''}` }, (res) => {
        let buf = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (buf += c));
        res.on('end', () => {
          for (const line of buf.split('\n')) if (line.trim()) out.push(JSON.parse(line) as AuditRecord);
          resolve();
        });
      });
      req.on('error', reject);
    });
    return out;
  }

  /** Resident set size of the agent process, MB. */
  rssMb(): number {
    return procStatusMb(this.pid, 'VmRSS');
  }

  async dispose(): Promise<void> {
    await this.proc.stop().catch(() => {});
    await this.proc.dispose();
    live.delete(this.proc);
  }
}

/** A field of /proc/PID/status in MB (VmRSS, VmHWM). */
export function procStatusMb(pid: number, field: string): number {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

export const policy = (name: string, removal: { imageName: string; deleteAfter: string }[], keep?: string[]): ImagePolicy => ({
  apiVersion: 'imagectl.dev/v1alpha1',
  kind: 'ImagePolicy',
  metadata: { name },
  spec: { removal, ...(keep ? { keep } : {}) },
});
