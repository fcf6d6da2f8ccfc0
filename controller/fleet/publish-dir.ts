/**
 * `imagectl fleet publish --manifests DIR`: GitOps on the hub side. The directory (a Git checkout)
 * is published as one applyset, with prune, at start, on every change (debounced) and every poll,
 * as `agent --manifests` does on a device: both follow the directory with the same piece
 * (controller/manifests/follow.ts). A broken file keeps the last good set published; the problem
 * is logged until the directory is good again.
 */
import { DirFollow, loadManifestDir, type LoadedDir } from '../manifests/follow.js';
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
export function loadDir(dir: string): Promise<LoadedDir> {
  return loadManifestDir(dir);
}

export class DirPublisher {
  private readonly follow: DirFollow;
  lastError: string | null = null;

  constructor(private readonly o: PublishDirOptions) {
    this.follow = new DirFollow({ dir: o.dir, pollMs: o.pollMs, debounceMs: o.debounceMs, onSet: (loaded) => this.once(loaded) });
  }

  start(): Promise<void> {
    return this.follow.start();
  }

  stop(): Promise<void> {
    return this.follow.stop();
  }

  /** Publish the directory now, or once more right after the publish under way. */
  sync(): Promise<void> {
    return this.follow.sync('sync');
  }

  private async once(loaded: LoadedDir): Promise<void> {
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
