/**
 * Disk-pressure tests on the stack engine whose data root is a tmpfs of a fixed size: measure it as
 * the agent does (statfs), fill it with files the engine knows nothing about, and read what the
 * agent reports. Fillers live at the top of the data root, where dockerd never looks.
 */
import { closeSync, openSync, readdirSync, rmSync, statfsSync, writeFileSync, writeSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import type { AuditRecord } from '../../crd/api/audit.js';
import type { AgentProcess } from './agent.js';
import { waitFor } from './agent.js';

export interface FsNow {
  usedBytes: number;
  totalBytes: number;
  availableBytes: number;
  usedPercent: number;
}

export function fsNow(dataRoot: string): FsNow {
  const s = statfsSync(dataRoot);
  const used = (s.blocks - s.bavail) * s.bsize;
  return { usedBytes: used, totalBytes: s.blocks * s.bsize, availableBytes: s.bavail * s.bsize, usedPercent: (100 * (s.blocks - s.bavail)) / s.blocks };
}

let fillers = 0;

/** Write a filler so that the data root's filesystem is `percent` used (it must be below that now). */
export function fillTo(dataRoot: string, percent: number): void {
  const now = fsNow(dataRoot);
  const want = Math.ceil((now.totalBytes * percent) / 100 - now.usedBytes);
  if (want <= 0) throw new Error(`the data root is already ${now.usedPercent.toFixed(1)}% used, more than ${percent}%`);
  // whole pages: tmpfs counts pages, and a filler that ends mid-page costs a page
  writeFileSync(join(dataRoot, `filler-${++fillers}`), Buffer.alloc(Math.ceil(want / 4096) * 4096));
}

export function removeFillers(dataRoot: string): void {
  for (const f of readdirSync(dataRoot)) if (f.startsWith('filler-')) rmSync(join(dataRoot, f), { force: true });
}

/** One audit record as `audit -o json` prints it. */
export type AuditLine = AuditRecord;

export async function auditOf(agent: AgentProcess): Promise<AuditLine[]> {
  const r = await agent.cli(['audit', '-o', 'json']);
  if (r.code !== 0) throw new Error(`imagectl audit: ${r.stderr}`);
  return r.stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as AuditLine);
}

/** The images removed for disk pressure, in the order they went, with what they freed. */
export async function pressureRemovals(agent: AgentProcess): Promise<AuditLine[]> {
  return (await auditOf(agent)).filter((a) => a.to === 'removed' && a.reason.startsWith('disk pressure'));
}

export interface ImageStatus {
  metadata: { name: string };
  status: { state: string; tags: string[]; lastUsedAt: string | null; uniqueSizeBytes: number | null; sizeBytes: number; protectedBy: string | null; reason: string };
}

export async function images(agent: AgentProcess): Promise<ImageStatus[]> {
  return (await agent.json<{ items: ImageStatus[] }>(['get', 'images', '-o', 'json'])).items;
}

/** Wait until the agent lists `tag` in `state` (and return it). */
export function untilImage(agent: AgentProcess, tag: string, state = 'idle', timeoutMs = 15_000): Promise<ImageStatus> {
  return waitFor(`${tag} ${state}`, async () => (await images(agent)).find((i) => i.status.tags.includes(tag) && i.status.state === state), timeoutMs, 100);
}

/** The agent's /metrics on its API socket, and the value of one series in it (undefined when absent). */
export async function metricsOf(agent: AgentProcess): Promise<{ text: string; value(series: string): number | undefined }> {
  const text = await new Promise<string>((done, fail) => {
    http.get({ socketPath: agent.socket, path: '/metrics' }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => (res.statusCode === 200 ? done(body) : fail(new Error(`GET /metrics: ${res.statusCode}`))));
    }).on('error', fail);
  });
  const value = (series: string) => {
    const line = text.split('\n').find((l) => l.startsWith(`${series} `));
    return line === undefined ? undefined : Number(line.slice(series.length + 1));
  };
  return { text, value };
}

/** Append to `file` until its file system says ENOSPC: in 1 MiB chunks, then 4 KiB ones for the rest. */
export function fillToEnospc(file: string): void {
  const fd = openSync(file, 'a');
  try {
    for (const size of [1 << 20, 4096]) {
      const chunk = Buffer.alloc(size, 1);
      try {
        for (;;) writeSync(fd, chunk);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
      }
    }
  } finally {
    closeSync(fd);
  }
}
