/**
 * `imagectl agent --repair`: salvage a damaged store and say what was lost.
 *
 * 1. Copy the LevelDB files aside (`<state-dir>/repair-backup-<time>/`).
 * 2. Read what can be read, to know later what the repair lost.
 * 3. LevelDB's RepairDB (classic-level `repair`), which keeps every readable record.
 * 4. Drop entries that do not decode or do not have their kind's shape; rebuild the audit index.
 * 5. Rebuild from Docker what the engine still shows: a snapshot for every image that lost its
 *    own (its countdown starts again, so nothing is removed early); statuses of Workloads whose
 *    object was lost are dropped, so that their containers are left alone, not removed as orphans.
 * It never removes an image or a container.
 */
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync } from 'node:fs';
import { basename, join } from 'node:path';
import { ClassicLevel } from 'classic-level';
import { Level } from 'level';
import { dockerFromHost, observe } from '../engine/docker.js';
import type { EngineClient } from '../engine/client.js';
import { auditOf, type DownloadRecord } from '../reconcile/plan.js';
import { LABEL_MANAGED, LABEL_WORKLOAD } from '../workloads/executor.js';
import { startImage, type PersistedImage } from '../../statemachines/runtime.js';
import { SUBLEVELS, Store, StoreLockedError } from '../store/store.js';

export interface RepairReport {
  stateDir: string;
  backup: string;
  /** entries readable before the repair, per sublevel; null when the store could not be read at all */
  before: Record<string, number> | null;
  readError: string | null;
  kept: Record<string, number>;
  /** keys seen before the repair and missing after it, per sublevel (manifests, images, …) */
  lost: Record<string, string[]>;
  /** entries dropped because they did not decode or had the wrong shape */
  dropped: string[];
  rebuiltSnapshots: string[];
  /** managed containers whose Workload object is gone: left alone */
  unownedContainers: string[];
  droppedStatuses: string[];
  engine: string | null;
}

const LEVELDB_FILE = /^(CURRENT|LOCK|LOG(\.old)?|MANIFEST-\d+|\d+\.(log|ldb|sst))$/;
const STATES = new Set(['downloaded', 'in-use', 'idle', 'removable', 'removed']);

function splitKey(k: string): { sub: string; key: string } | null {
  const m = /^!([^!]+)!([\s\S]*)$/.exec(k);
  return m ? { sub: m[1]!, key: m[2]! } : null;
}

/** Does a decoded value have the shape of its sublevel? Pure. */
export function entryProblem(sub: string, key: string, v: unknown): string | null {
  const o = v as Record<string, unknown> | null;
  const isObj = o !== null && typeof o === 'object';
  switch (sub) {
    case 'meta':
      return null;
    case 'objects': {
      const md = isObj ? (o.metadata as { name?: unknown } | undefined) : undefined;
      return isObj && typeof o.kind === 'string' && typeof md?.name === 'string' && key === `${o.kind}/${md.name}` && typeof o.spec === 'object' ? null : 'not a manifest object';
    }
    case 'images': {
      const ctx = isObj ? (o.context as { id?: unknown } | undefined) : undefined;
      return isObj && STATES.has(o.state as string) && ctx?.id === key ? null : 'not an image snapshot';
    }
    case 'downloads':
      return isObj && typeof o.at === 'number' && typeof o.via === 'string' ? null : 'not a download record';
    case 'statuses':
      return isObj && typeof o.phase === 'string' ? null : 'not a status';
    case 'audit':
    case 'audit-by-image':
      return isObj && typeof o.time === 'string' && typeof o.event === 'string' && typeof o.to === 'string' ? null : 'not an audit record';
    default:
      return `unknown sublevel ${sub}`;
  }
}

/**
 * Objects and image snapshots that the write-ahead logs (`*.log`) last wrote, read from the raw
 * bytes: LevelDB drops a damaged log record without a word, so this is how the report can name
 * what the repair could not keep. A put is the key followed by a value length and a JSON object; a
 * delete is the key followed by the next record's tag. Pure.
 */
export function loggedKeys(logText: string): Map<string, Set<string>> {
  const last = new Map<string, { sub: string; key: string; put: boolean; at: number }>();
  const re = /!(objects|images)!((?:ImagePolicy|Workload)\/[a-z0-9](?:[-a-z0-9]*[a-z0-9])?|sha256:[0-9a-f]{64})(?:([\x80-\xff][\x01-\x7f]?\{)|[\x00\x01]|$)/g;
  for (const m of logText.matchAll(re)) last.set(`${m[1]}!${m[2]}`, { sub: m[1]!, key: m[2]!, put: m[3] !== undefined, at: m.index ?? 0 });
  const out = new Map<string, Set<string>>();
  for (const v of last.values()) if (v.put) (out.get(v.sub) ?? out.set(v.sub, new Set()).get(v.sub)!).add(v.key);
  return out;
}

/** Every key readable now, per sublevel, until the first error. */
async function scanKeys(dir: string): Promise<{ keys: Map<string, Set<string>>; error: string | null }> {
  const keys = new Map<string, Set<string>>(SUBLEVELS.map((s) => [s, new Set<string>()]));
  const db = new Level<string, string>(dir, { valueEncoding: 'utf8', createIfMissing: false });
  try {
    await db.open();
    for await (const k of db.keys()) {
      const p = splitKey(k);
      if (p) (keys.get(p.sub) ?? keys.set(p.sub, new Set()).get(p.sub)!).add(p.key);
    }
    return { keys, error: null };
  } catch (err) {
    const e = err as Error & { code?: string; cause?: Error & { code?: string } };
    if (e.code === 'LEVEL_LOCKED' || e.cause?.code === 'LEVEL_LOCKED') throw new StoreLockedError(dir);
    return { keys, error: e.cause?.message ?? e.message };
  } finally {
    if (db.status === 'open') await db.close();
  }
}

export async function repairStore(stateDir: string, docker: EngineClient | null, now = Date.now()): Promise<RepairReport> {
  if (!existsSync(join(stateDir, 'CURRENT')) && !readdirSync(stateDir).some((f) => LEVELDB_FILE.test(f))) throw new Error(`${stateDir} holds no store to repair`);
  const { backup, before } = await backUp(stateDir, now);
  const beforeReadable = before.error === null || [...before.keys.values()].some((s) => s.size > 0);
  await ClassicLevel.repair(stateDir); // level's Level is classic-level's in Node; its types leave repair out
  const { after, dropped } = await dropUnreadable(stateDir);
  const lost: Record<string, string[]> = {};
  for (const s of ['objects', 'images', 'downloads', 'statuses', 'audit'] as const) {
    const gone = [...(before.keys.get(s) ?? [])].filter((k) => !after.get(s)?.has(k));
    if (gone.length) lost[s] = gone;
  }
  const report: RepairReport = {
    stateDir, backup, before: beforeReadable ? Object.fromEntries([...before.keys].map(([k, v]) => [k, v.size])) : null, readError: before.error,
    kept: {}, lost, dropped, rebuiltSnapshots: [], unownedContainers: [], droppedStatuses: [], engine: null,
  };
  await rebuildFromEngine(stateDir, docker, now, report);
  return report;
}

/**
 * Copy the LevelDB files aside, and read what can be read (including what the logs wrote, which
 * LevelDB may drop as damaged), to know later what the repair lost.
 */
async function backUp(stateDir: string, now: number): Promise<{ backup: string; before: Awaited<ReturnType<typeof scanKeys>> }> {
  const backup = join(stateDir, `repair-backup-${new Date(now).toISOString().replace(/[:.]/g, '-')}`);
  mkdirSync(backup, { recursive: true, mode: 0o700 });
  for (const f of readdirSync(stateDir)) if (LEVELDB_FILE.test(f)) copyFileSync(join(stateDir, f), join(backup, f));
  // logs that a refused open kept aside before LevelDB rewrote them (store.ts)
  const walDirs = readdirSync(stateDir).filter((f) => f.startsWith('damaged-wal-')).map((f) => join(stateDir, f));
  const before = await scanKeys(stateDir);
  const logFiles = [backup, ...walDirs].flatMap((d) => readdirSync(d).filter((x) => x.endsWith('.log')).map((x) => join(d, x)));
  for (const f of logFiles) {
    for (const [sub, keys] of loggedKeys(readFileSync(f, 'latin1'))) for (const k of keys) before.keys.get(sub)?.add(k);
  }
  for (const d of walDirs) renameSync(d, join(backup, basename(d)));
  return { backup, before };
}

/** Drop what does not decode or has the wrong shape; rebuild the per-image audit index. */
async function dropUnreadable(stateDir: string): Promise<{ after: Map<string, Set<string>>; dropped: string[] }> {
  const dropped: string[] = [];
  const raw = new Level<string, string>(stateDir, { valueEncoding: 'utf8' });
  await raw.open();
  const after = new Map<string, Set<string>>(SUBLEVELS.map((s) => [s, new Set<string>()]));
  try {
    const ops: { type: 'put' | 'del'; key: string; value?: string }[] = [];
    for await (const [k, v] of raw.iterator()) {
      const p = splitKey(k);
      if (!p || p.sub === 'audit-by-image') {
        if (!p) dropped.push(k);
        ops.push({ type: 'del', key: k });
        continue;
      }
      const problem = decodeProblem(p.sub, p.key, v);
      if (problem) {
        dropped.push(`${p.sub}/${p.key}: ${problem}`);
        ops.push({ type: 'del', key: k });
        continue;
      }
      after.get(p.sub)?.add(p.key);
      const r = JSON.parse(v) as { image?: string | null };
      if (p.sub === 'audit' && r.image) ops.push({ type: 'put', key: `!audit-by-image!${r.image}!${p.key}`, value: v });
    }
    await raw.batch(ops as never);
  } finally {
    await raw.close();
  }
  return { after, dropped };
}

function decodeProblem(sub: string, key: string, v: string): string | null {
  let value: unknown;
  try {
    value = JSON.parse(v);
  } catch {
    return 'does not decode';
  }
  return entryProblem(sub, key, value);
}

/**
 * Rebuild from Docker what the engine shows: a snapshot for every image that lost its own, and
 * drop the statuses of Workloads whose object was lost (their containers are left alone).
 */
async function rebuildFromEngine(stateDir: string, docker: EngineClient | null, now: number, report: RepairReport): Promise<void> {
  const store = await Store.open(stateDir);
  try {
    const objects = await store.listObjects();
    const workloads = new Set(objects.filter((o) => o.kind === 'Workload').map((o) => o.metadata.name));
    const statuses = await store.loadStatuses<unknown>();
    report.droppedStatuses = [...statuses.keys()].filter((k) => k.startsWith('Workload/') && !workloads.has(k.slice('Workload/'.length)));
    const images = await store.loadImages();
    const downloads = await store.loadDownloads();
    const put: [string, PersistedImage][] = [];
    const audit = [];
    if (docker) {
      try {
        const seen = await observe(docker);
        for (const img of seen.images) {
          if (images.has(img.id)) continue;
          const dl: DownloadRecord | undefined = downloads.get(img.id);
          const p = startImage({ id: img.id, now, agentDownloaded: dl !== undefined, downloadedAt: dl?.at ?? null, reason: 'rebuilt from the engine by agent --repair: the snapshot was lost, so its countdown starts again' });
          p.context.tags = img.tags;
          p.context.repoDigests = img.repoDigests;
          put.push([img.id, p]);
          audit.push(auditOf(p, null, 'repaired', now, 'agent --repair'));
          report.rebuiltSnapshots.push(img.tags[0] ?? img.id);
        }
        report.unownedContainers = seen.containers
          .filter((c) => c.labels[LABEL_MANAGED] === 'true' && !workloads.has(c.labels[LABEL_WORKLOAD] ?? ''))
          .map((c) => `${c.name} (workload ${c.labels[LABEL_WORKLOAD] ?? '?'})`);
      } catch (err) {
        report.engine = `the engine could not be read (${(err as Error).message}); the agent rebuilds image snapshots at its first pass`;
      }
    } else report.engine = 'no engine given; the agent rebuilds image snapshots at its first pass';
    await store.commit({ putImages: put, audit, deleteStatuses: report.droppedStatuses });
    report.kept = await store.verify();
  } finally {
    await store.close();
  }
}

/** The report as the CLI prints it. Pure. */
export function formatRepair(r: RepairReport): string {
  const lines = [`repaired the store in ${r.stateDir}`, `  the damaged files were copied to ${r.backup}`];
  if (r.before === null) lines.push(`  before the repair the store could not be read at all (${r.readError ?? 'unknown error'}): what was lost cannot be listed`);
  else if (r.readError) lines.push(`  before the repair the store was readable only in part (${r.readError})`);
  lines.push(`  kept: ${Object.entries(r.kept).filter(([k]) => k !== 'audit-by-image').map(([k, n]) => `${n} ${k}`).join(', ')}`);
  const lost = Object.entries(r.lost);
  if (lost.length === 0 && r.dropped.length === 0) lines.push('  lost: nothing that could be read before the repair');
  for (const [sub, keys] of lost) lines.push(`  lost ${keys.length} ${sub}: ${keys.slice(0, 20).join(', ')}${keys.length > 20 ? ', …' : ''}`);
  for (const d of r.dropped.slice(0, 20)) lines.push(`  dropped unreadable entry ${d}`);
  if (r.lost.objects?.length) lines.push('  re-apply your manifests (imagectl apply -f …) to restore lost policies and workloads');
  if (r.rebuiltSnapshots.length) lines.push(`  rebuilt from the engine: ${r.rebuiltSnapshots.length} image snapshot(s) (${r.rebuiltSnapshots.slice(0, 10).join(', ')}${r.rebuiltSnapshots.length > 10 ? ', …' : ''}); their countdowns start again`);
  if (r.droppedStatuses.length) lines.push(`  dropped the status of ${r.droppedStatuses.join(', ')}: their Workload objects are gone`);
  if (r.unownedContainers.length) lines.push(`  left alone: managed containers without a Workload: ${r.unownedContainers.join(', ')}; re-apply their Workloads to manage them again`);
  if (r.engine) lines.push(`  ${r.engine}`);
  lines.push('  nothing was removed from the engine');
  return `${lines.join('\n')}\n`;
}

/** `imagectl agent --repair`: repair the store against the engine of DOCKER_HOST; the report as text. */
export async function repairWithEngine(stateDir: string): Promise<string> {
  process.umask(0o077); // what repair writes (backups, the rebuilt store) is the agent user's alone, as the agent's own files
  const docker = dockerFromHost();
  try {
    return formatRepair(await repairStore(stateDir, docker));
  } finally {
    docker.close();
  }
}
