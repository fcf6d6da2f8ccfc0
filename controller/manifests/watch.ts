/**
 * `imagectl agent --manifests DIR`: GitOps on the device. The directory is applied, with prune for
 * its own applyset, at start, on every change (debounced) and on every resync, so a `git pull` of a
 * checkout drives the device and drift is put back. A half-written file or a broken manifest keeps
 * the last good set applied; the problem is reported by `get`/`describe` and in the log until the
 * directory is good again. Only regular files inside the directory are read (read.ts): a FIFO or a
 * symlink that leaves it is a refused entry, reported in `version`, health and the log. A directory without manifests is an empty set (everything of the set is
 * pruned); a missing directory is an error (nothing is pruned).
 */
import { apiCallRecord } from '../../crd/api/audit.js';
import { applysetId, type ApplyResult } from '../../crd/apply/applyset.js';
import type { ApiDeps } from '../service/deps.js';
import { HttpError } from '../service/errors.js';
import { applyObjects } from '../service/apply.js';
import { DirFollow, type LoadedDir } from './follow.js';
import type { ManifestWatchStatus } from '../service/deps.js';

export type { ManifestWatchStatus } from '../service/deps.js';

/** The applyset of the `--manifests` directory. */
export const MANIFESTS_APPLYSET = 'agent-manifests';


interface Logger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
}

export interface ManifestWatchOptions {
  dir: string;
  log: Logger;
  /** full re-apply period (drift correction, and a fallback for missed file events) */
  pollMs: number;
  /** quiet time after a file event before the directory is read */
  debounceMs?: number;
  applyset?: string;
}

export class ManifestWatch {
  private state: ManifestWatchStatus;
  private deps: ApiDeps | null = null;
  /** the directory follow loop, shared with the hub's `fleet publish` (follow.ts) */
  private readonly follow: DirFollow;

  constructor(private readonly o: ManifestWatchOptions) {
    const applyset = o.applyset ?? MANIFESTS_APPLYSET;
    this.state = { dir: o.dir, applyset, applysetId: applysetId(applyset), lastAppliedAt: null, lastCheckedAt: null, objects: [], error: null, refused: [] };
    this.follow = new DirFollow({ dir: o.dir, pollMs: o.pollMs, debounceMs: o.debounceMs, onSet: (loaded, reason) => this.once(loaded, reason) });
  }

  status(): ManifestWatchStatus {
    return { ...this.state, objects: [...this.state.objects], refused: [...this.state.refused] };
  }

  /** Apply the directory once, then follow it. */
  async start(deps: ApiDeps): Promise<void> {
    this.deps = deps;
    await this.follow.start();
  }

  async stop(): Promise<void> {
    await this.follow.stop();
  }

  /** A file changed: read the directory once things are quiet. */
  trigger(): void {
    this.follow.trigger();
  }

  /** Load and apply the directory; one at a time, and once more if asked during a run. */
  sync(reason: string): Promise<void> {
    return this.follow.sync(reason);
  }

  private async once(loaded: LoadedDir, reason: string): Promise<void> {
    if (!this.deps) return;
    this.state.lastCheckedAt = new Date().toISOString();
    this.noteRefused(loaded.refused ?? []);
    if ('error' in loaded) return await this.fail(loaded.error, reason);
    let results: ApplyResult[];
    try {
      results = (await applyObjects(this.deps, { objects: loaded.objects, prune: true, applyset: this.state.applyset })).results;
    } catch (err) {
      const details = err instanceof HttpError && Array.isArray(err.details) ? `\n${(err.details as string[]).join('\n')}` : '';
      return await this.fail(`${(err as Error).message}${details}`, reason);
    }
    if (this.state.error) this.o.log.info({ dir: this.o.dir }, 'manifests: the directory is good again');
    this.state.error = null;
    this.state.lastAppliedAt = new Date().toISOString();
    this.state.objects = results.filter((r) => r.action !== 'pruned').map((r) => `${r.kind.toLowerCase()}/${r.name}`);
    const changed = results.filter((r) => r.action !== 'unchanged');
    if (changed.length > 0) {
      const items = changed.map((r) => `${r.kind.toLowerCase()}/${r.name} ${r.action}`);
      this.o.log.info({ dir: this.o.dir, trigger: reason, results: items }, 'manifests applied');
      await this.audit(true, `apply ${items.join(', ')}`);
    }
  }

  private async fail(error: string, reason: string): Promise<void> {
    if (error !== this.state.error) {
      this.o.log.warn({ dir: this.o.dir, trigger: reason, error }, 'manifests: keeping the last good set');
      await this.audit(false, `apply refused: ${oneLine(error)}; the last good set stays applied`);
    }
    this.state.error = error;
  }

  /** The watch's applies are audited like API calls, with the directory as the actor. */
  private async audit(ok: boolean, reason: string): Promise<void> {
    try {
      await this.deps?.store.commit({ audit: [apiCallRecord({ time: Date.now(), verb: 'apply', ok, reason, actor: `manifests ${this.o.dir}` })] });
    } catch (err) {
      this.o.log.warn({ error: (err as Error).message }, 'manifests: the audit record was not written');
    }
  }

  /** Entries that were not read keep the set from being applied (their file's error says so); each is logged once. */
  private noteRefused(refused: { file: string; reason: string }[]): void {
    const seen = new Set(this.state.refused.map((r) => `${r.file}\0${r.reason}`));
    for (const r of refused) if (!seen.has(`${r.file}\0${r.reason}`)) this.o.log.warn({ dir: this.o.dir, file: r.file, reason: r.reason }, 'manifests: an entry of the directory is refused');
    this.state.refused = refused;
  }
}

/** A multi-line report on one line, capped (audit reasons are one line). */
function oneLine(s: string, max = 1000): string {
  const l = s.split('\n').map((x) => x.trim()).filter(Boolean).join(' ');
  return l.length > max ? `${l.slice(0, max - 1)}…` : l;
}
