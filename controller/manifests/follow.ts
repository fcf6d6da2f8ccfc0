/**
 * Following a directory of manifests (a Git checkout), the one piece behind the agent's
 * `--manifests` (watch.ts: applied on the device) and the hub's `fleet publish --manifests`
 * (controller/fleet/publish-dir.ts: published to the fleet). File events are debounced until the
 * checkout is quiet; a periodic re-read catches missed events and re-arms the watch of a directory
 * that was missing or replaced; reads run one at a time, once more if asked meanwhile (the
 * reconciler's loop primitive, controller/reconcile/loop.ts). Each read hands the directory's
 * objects, or why they cannot be had, to `onSet`.
 */
import { watch, type FSWatcher } from 'node:fs';
import { formatManifestError } from '../../crd/types.js';
import { Loop } from '../reconcile/loop.js';
import { readManifestDir, type RefusedEntry } from './read.js';

/** what was read, and the entries that were refused (their files carry the refusal as their error, so such a set is never applied or published) */
export type LoadedDir = ({ objects: unknown[] } | { error: string }) & { refused?: RefusedEntry[] };

/** The directory's objects, or why they cannot be applied or published. A directory without manifests is an empty set; a missing one is an error. */
export async function loadManifestDir(dir: string): Promise<LoadedDir> {
  const read = await readManifestDir(dir);
  if ('error' in read) return read;
  const { files, refused } = read;
  if (files.length === 0) return { objects: [], refused };
  // the parser (yaml, the validators) is loaded on first use: an agent without --manifests never needs it
  const { SetParser } = await import('../../crd/load.js');
  const set = new SetParser();
  for (const f of files) set.add(f);
  const r = set.finish();
  if (!r.ok) return { error: `${r.errors.length} problem${r.errors.length > 1 ? 's' : ''} in ${dir}:\n${r.errors.map(formatManifestError).join('\n')}`, refused };
  return { objects: r.objects.map((o) => o.object), refused };
}

export interface DirFollowOptions {
  dir: string;
  /** the periodic re-read, ms */
  pollMs: number;
  /** quiet time after a file event before the directory is read, ms */
  debounceMs?: number;
  /** one read of the directory: what it holds now, and what triggered the read */
  onSet(loaded: LoadedDir, reason: string): Promise<void>;
}

export class DirFollow {
  private watcher: FSWatcher | null = null;
  private stopped = false;
  private readonly loop: Loop;

  constructor(private readonly o: DirFollowOptions) {
    this.loop = new Loop({
      reconcile: async (reason) => {
        if (!this.stopped) await o.onSet(await loadManifestDir(o.dir), reason);
      },
      // a file event waits for things to be quiet: a checkout writes several files
      debounce: { settleMs: o.debounceMs ?? 300, restart: true },
      resyncMs: o.pollMs,
      beforeResync: () => this.arm(),
    });
  }

  /** Read the directory once, then follow it. */
  async start(): Promise<void> {
    this.arm();
    await this.sync('start');
    this.loop.start();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.watcher?.close();
    this.watcher = null;
    await this.loop.stop();
  }

  /** A file changed: read the directory once things are quiet. */
  trigger(): void {
    this.loop.soon('change');
  }

  /** Read the directory now, or once more right after the read under way. */
  sync(reason: string): Promise<void> {
    return this.loop.run(reason);
  }

  /** Watch the directory for changes; a directory that is missing or replaced is re-armed by the poll. */
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
      this.watcher = null; // not there (yet): the poll tries again
    }
  }
}
