/**
 * `imagectl fleet publish --manifests DIR`: GitOps on the hub side. The directory (a Git checkout)
 * is published as one applyset, with prune, at start, on every change (debounced) and every poll,
 * as `agent --manifests` does on a device. A broken file keeps the last good set published; the
 * problem is logged until the directory is good again.
 */
import { watch, type FSWatcher } from 'node:fs';
import { formatManifestError } from '../../crd/types.js';
import { readManifestDir } from '../manifests/read.js';
import type { Hub } from './hub.js';

export const PUBLISH_APPLYSET = 'fleet-manifests';

export interface PublishLog {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
}

export interface PublishDirOptions {
  hub: Hub;
  dir: string;
  pollMs: number;
  log: PublishLog;
  debounceMs?: number;
  applyset?: string;
}

/** The directory's objects, or why they cannot be published. */
export async function loadDir(dir: string): Promise<{ objects: unknown[] } | { error: string }> {
  const files = await readManifestDir(dir);
  if ('error' in files) return files;
  if (files.length === 0) return { objects: [] };
  const { SetParser } = await import('../../crd/load.js');
  const set = new SetParser();
  for (const f of files) set.add(f);
  const r = set.finish();
  if (!r.ok) return { error: `${r.errors.length} problem${r.errors.length > 1 ? 's' : ''} in ${dir}:\n${r.errors.map(formatManifestError).join('\n')}` };
  return { objects: r.objects.map((o) => o.object) };
}

export class DirPublisher {
  private watcher: FSWatcher | null = null;
  private debounce: NodeJS.Timeout | null = null;
  private poll: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private again = false;
  private stopped = false;
  lastError: string | null = null;

  constructor(private readonly o: PublishDirOptions) {}

  async start(): Promise<void> {
    this.arm();
    await this.sync();
    this.poll = setInterval(() => {
      this.arm();
      void this.sync();
    }, this.o.pollMs);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.debounce) clearTimeout(this.debounce);
    if (this.poll) clearInterval(this.poll);
    this.watcher?.close();
    await this.running;
  }

  private arm(): void {
    if (this.watcher || this.stopped) return;
    try {
      const w = watch(this.o.dir, { persistent: false }, () => this.trigger());
      w.on('error', () => {
        w.close();
        if (this.watcher === w) this.watcher = null;
      });
      this.watcher = w;
    } catch {
      this.watcher = null;
    }
  }

  private trigger(): void {
    if (this.stopped) return;
    if (this.debounce) clearTimeout(this.debounce);
    this.debounce = setTimeout(() => void this.sync(), this.o.debounceMs ?? 300);
  }

  sync(): Promise<void> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      try {
        do {
          this.again = false;
          await this.once();
        } while (this.again && !this.stopped);
      } finally {
        this.running = null;
      }
    })();
    return this.running;
  }

  private async once(): Promise<void> {
    const loaded = await loadDir(this.o.dir);
    if ('error' in loaded) return this.fail(loaded.error);
    try {
      const r = await this.o.hub.apply({ objects: loaded.objects, prune: true, applyset: this.o.applyset ?? PUBLISH_APPLYSET });
      const changed = r.results.filter((x) => x.action !== 'unchanged').map((x) => `${x.kind.toLowerCase()}/${x.name} ${x.action}`);
      if (this.lastError) this.o.log.info({ dir: this.o.dir }, 'the directory is good again');
      this.lastError = null;
      if (changed.length) this.o.log.info({ dir: this.o.dir, revision: r.revision, results: changed }, 'published');
    } catch (err) {
      const details = (err as { details?: string[] }).details;
      this.fail(`${(err as Error).message}${details ? `\n${details.join('\n')}` : ''}`);
    }
  }

  private fail(error: string): void {
    if (error !== this.lastError) this.o.log.warn({ dir: this.o.dir, error }, 'not published; the last good set stays');
    this.lastError = error;
  }
}
