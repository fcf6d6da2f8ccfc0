/**
 * The workload executor: for each Workload, make sure its image is there (EVE pull policies, digest
 * pins, archives) and that exactly one labelled container runs it; act on raised counters once;
 * remove the containers of deleted Workloads. It only ever touches containers labelled
 * `imagectl.dev/managed=true`.
 */
import type { PullPolicy, Workload } from '../../crd/workload/type.js';
import { errorText } from '../engine/docker.js';
import type { EngineClient } from '../engine/client.js';
import type { ObservedContainer } from '../engine/observation.js';
import type { DownloadRecord } from '../store/records.js';
import { localImage, pullImage, remoteDigest } from '../effects/pull.js';
import { ArchiveError, importArchive, type ArchiveStore } from '../effects/archives.js';
import { withReady } from './ready.js';
import { containerAction, countersOf, hasDigest, pullPolicyOf, raised, refParts, specHash, type Counters } from './decide.js';

export const LABEL_MANAGED = 'imagectl.dev/managed';
export const LABEL_WORKLOAD = 'imagectl.dev/workload';
export const LABEL_SPEC_HASH = 'imagectl.dev/spec-hash';

export interface Condition {
  type: 'ImageReady' | 'ContainerReady' | 'Ready';
  status: 'True' | 'False';
  reason: string;
  message: string;
  lastTransitionTime: string;
}

export interface WorkloadEvent {
  time: string;
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
}

export interface WorkloadStatus {
  phase: 'Pending' | 'Running' | 'Failed';
  reason: string;
  message: string;
  image: string;
  imageId: string | null;
  /** the registry manifest digest the image resolved to (`sha256:…`), or null (archive, unknown) */
  resolvedDigest: string | null;
  containerName: string;
  containerId: string | null;
  observedGeneration: number;
  /** the counter values last acted on */
  observedCounters: Counters | null;
  conditions: Condition[];
  events: WorkloadEvent[];
}

export class WorkloadFailure extends Error {
  constructor(readonly reason: string, message: string) {
    super(message);
  }
}

export interface WorkloadExecOptions {
  docker: EngineClient;
  defaultPullPolicy: PullPolicy;
  archives: ArchiveStore;
  now: () => number;
}

export interface WorkloadResult {
  status: WorkloadStatus;
  downloads: [string, DownloadRecord][];
  /** the engine changed (pull, container created/removed/restarted): observe again */
  touched: boolean;
}

export const containerNameOf = (w: Workload) => `imagectl-${w.metadata.name}`;

function condition(prev: Condition[], type: Condition['type'], ok: boolean, reason: string, message: string, now: string): Condition {
  const old = prev.find((c) => c.type === type);
  const status = ok ? 'True' : 'False';
  return { type, status, reason, message, lastTransitionTime: old && old.status === status ? old.lastTransitionTime : now };
}

function pushEvent(events: WorkloadEvent[], e: Omit<WorkloadEvent, 'time'>, now: string): WorkloadEvent[] {
  return [...events, { time: now, ...e }].slice(-20);
}

export class WorkloadExecutor {
  constructor(private readonly o: WorkloadExecOptions) {}

  /** Bring the image in as the pull policy says. Returns its ID and resolved digest. */
  private async ensureImage(
    w: Workload,
    force: boolean,
    downloads: [string, DownloadRecord][],
    note: (e: Omit<WorkloadEvent, 'time'>) => void,
  ): Promise<{ id: string; digest: string | null }> {
    const { docker } = this.o;
    const policy = pullPolicyOf(w, this.o.defaultPullPolicy);
    const parts = refParts(w.spec.image);
    const local = await localImage(docker, parts.pin ? `${parts.repo}@${parts.pin}` : parts.pullRef);
    const via = `workload ${w.metadata.name}`;

    if (w.spec.archive) {
      if (local && !force) return { id: local.id, digest: parts.pin };
      if (policy === 'Never' && !local) throw new WorkloadFailure('ImageNotPresent', `image ${w.spec.image} is not present and imagePullPolicy is Never`);
      let loaded: Awaited<ReturnType<typeof importArchive>>;
      try {
        loaded = await importArchive(this.o.archives, docker, w.spec.archive, w.spec.archiveDigest);
      } catch (err) {
        if (err instanceof ArchiveError) throw new WorkloadFailure(err.reason, err.message);
        throw err;
      }
      const img = await localImage(docker, parts.pin ? `${parts.repo}@${parts.pin}` : parts.pullRef);
      if (!img) throw new WorkloadFailure('ArchiveMismatch', `archive ${w.spec.archive} loaded ${loaded.refs.join(', ')}, not ${w.spec.image}`);
      downloads.push([img.id, { at: this.o.now(), via: `${via} (archive ${w.spec.archive})`, residual: [loaded.cachePath] }]);
      note({ type: 'Normal', reason: 'Loaded', message: `loaded ${w.spec.image} from archive ${w.spec.archive}` });
      return { id: img.id, digest: parts.pin };
    }

    const pinnedLocal = local && parts.pin ? hasDigest(local.repoDigests, parts.repo, parts.pin) : true;
    if (policy === 'Never') {
      if (!local || !pinnedLocal) throw new WorkloadFailure('ImageNotPresent', `image ${w.spec.image} is not present and imagePullPolicy is Never`);
      return { id: local.id, digest: parts.pin ?? digestOf(local.repoDigests, parts.repo) };
    }
    if (policy === 'IfNotPresent' && !force && local && pinnedLocal) {
      return { id: local.id, digest: parts.pin ?? digestOf(local.repoDigests, parts.repo) };
    }

    // Always, a raised refreshImage, or absent: resolve the registry's digest first
    let remote: string;
    try {
      remote = await remoteDigest(docker, parts.pullRef);
    } catch (err) {
      throw new WorkloadFailure('RegistryUnreachable', `${errorText(err)}; the local copy is not used (imagePullPolicy ${policy})`);
    }
    if (parts.pin && remote !== parts.pin) {
      throw new WorkloadFailure('DigestMismatch', `${parts.tagRef} resolves to ${remote} in the registry, but the workload pins ${parts.pin}; nothing runs`);
    }
    if (local && hasDigest(local.repoDigests, parts.repo, remote)) return { id: local.id, digest: remote };

    const pullRef = parts.pin ? `${parts.repo}@${parts.pin}` : parts.pullRef;
    let id: string;
    try {
      id = await pullImage(docker, pullRef);
    } catch (err) {
      throw new WorkloadFailure('PullFailed', `pull of ${pullRef} failed: ${errorText(err)}; the local copy is not used`);
    }
    const pulled = await localImage(docker, id);
    if (!pulled || !hasDigest(pulled.repoDigests, parts.repo, remote)) {
      throw new WorkloadFailure('DigestMismatch', `the pulled image ${id} does not carry the digest ${remote}; nothing runs`);
    }
    downloads.push([id, { at: this.o.now(), via }]);
    note({ type: 'Normal', reason: 'Pulled', message: `pulled ${pullRef} (${remote})${local && local.id !== id ? `, replacing ${local.id.slice(7, 19)}` : ''}` });
    return { id, digest: remote };
  }

  private async createContainer(w: Workload, imageId: string, hash: string, binds: string[]): Promise<string> {
    const c = await this.o.docker.createContainer({
      name: containerNameOf(w),
      Image: imageId, // by ID: creating a container never makes the engine pull
      Cmd: w.spec.command,
      Env: Object.entries(w.spec.env ?? {}).map(([k, v]) => `${k}=${v}`),
      Labels: { [LABEL_MANAGED]: 'true', [LABEL_WORKLOAD]: w.metadata.name, [LABEL_SPEC_HASH]: hash, 'imagectl.dev/image': w.spec.image },
      HostConfig: { NetworkMode: 'none', RestartPolicy: { Name: 'unless-stopped' }, Binds: binds.length ? binds : undefined },
    });
    await this.o.docker.startContainer(c.Id);
    return c.Id;
  }

  /** Named volumes of the old container, to carry over on a recreate (a purge discards them). */
  private async volumesOf(id: string): Promise<string[]> {
    const info = await this.o.docker.inspectContainer(id);
    return (info.Mounts ?? []).filter((m) => m.Type === 'volume' && m.Name).map((m) => `${m.Name}:${m.Destination}`);
  }

  async reconcile(w: Workload, prev: WorkloadStatus | undefined, containers: readonly ObservedContainer[]): Promise<WorkloadResult> {
    const r = await this.converge(w, prev, containers);
    return { ...r, status: { ...r.status, conditions: withReady(r.status.conditions, prev?.conditions ?? [], new Date(this.o.now()).toISOString()) } };
  }

  private async converge(w: Workload, prev: WorkloadStatus | undefined, containers: readonly ObservedContainer[]): Promise<WorkloadResult> {
    const nowIso = new Date(this.o.now()).toISOString();
    const counters = countersOf(w);
    const r = raised(counters, prev?.observedCounters ?? undefined);
    const hash = specHash(w);
    const existing = containers.find((c) => c.labels[LABEL_MANAGED] === 'true' && c.labels[LABEL_WORKLOAD] === w.metadata.name);
    const downloads: [string, DownloadRecord][] = [];
    let events = prev?.events ?? [];
    const note = (e: Omit<WorkloadEvent, 'time'>) => (events = pushEvent(events, e, nowIso));
    const base: WorkloadStatus = {
      phase: 'Pending', reason: '', message: '', image: w.spec.image, imageId: prev?.imageId ?? null, resolvedDigest: prev?.resolvedDigest ?? null,
      containerName: containerNameOf(w), containerId: existing?.id ?? null, observedGeneration: prev?.observedGeneration ?? 0,
      observedCounters: prev?.observedCounters ?? null, conditions: prev?.conditions ?? [], events,
    };
    const specChanged = existing !== undefined && existing.labels[LABEL_SPEC_HASH] !== hash;
    const needCheck = !existing || specChanged || r.refresh || r.purge || prev?.phase !== 'Running';
    let touched = false;
    let image: { id: string; digest: string | null };
    try {
      if (needCheck) {
        image = await this.ensureImage(w, r.refresh || r.purge, downloads, note);
        touched = downloads.length > 0;
      } else {
        image = { id: existing!.imageId, digest: prev?.resolvedDigest ?? null };
      }
    } catch (err) {
      const reason = err instanceof WorkloadFailure ? err.reason : 'ImageFailed';
      const message = errorText(err);
      if (prev?.reason !== reason || prev?.message !== message) note({ type: 'Warning', reason, message });
      return {
        status: {
          ...base, phase: 'Failed', reason, message, events,
          conditions: [condition(base.conditions, 'ImageReady', false, reason, message, nowIso), condition(base.conditions, 'ContainerReady', !!existing && existing.state === 'running', existing ? 'Unchanged' : 'NotCreated', existing ? 'the running container was left as it was' : 'nothing runs until the image is ready', nowIso)],
        },
        downloads,
        touched,
      };
    }

    const action = containerAction(existing && { imageId: existing.imageId, state: existing.state, specHash: existing.labels[LABEL_SPEC_HASH] }, image.id, hash, r);
    let containerId = existing?.id ?? null;
    try {
      switch (action) {
        case 'create':
          containerId = await this.createContainer(w, image.id, hash, []);
          note({ type: 'Normal', reason: 'Created', message: `created container ${containerNameOf(w)} on ${image.id.slice(7, 19)}` });
          break;
        case 'recreate':
        case 'purge': {
          const binds = action === 'recreate' ? await this.volumesOf(existing!.id) : [];
          await this.o.docker.removeContainer(existing!.id, { force: true, v: action === 'purge' });
          containerId = await this.createContainer(w, image.id, hash, binds);
          note({ type: 'Normal', reason: action === 'purge' ? 'Purged' : 'Recreated', message: `${action === 'purge' ? 'purged and recreated' : 'recreated'} container ${containerNameOf(w)} on ${image.id.slice(7, 19)}${specChanged ? ' (spec changed)' : existing!.imageId !== image.id ? ' (new image)' : ''}` });
          break;
        }
        case 'restart':
          await this.o.docker.restartContainer(existing!.id, { t: 2 });
          note({ type: 'Normal', reason: 'Restarted', message: `restarted container ${containerNameOf(w)}` });
          break;
        case 'start':
          await this.o.docker.startContainer(existing!.id);
          break;
        case 'none':
          break;
      }
    } catch (err) {
      const message = `container ${action} failed: ${errorText(err)}`;
      note({ type: 'Warning', reason: 'ContainerFailed', message });
      return {
        status: { ...base, phase: 'Failed', reason: 'ContainerFailed', message, events, imageId: image.id, resolvedDigest: image.digest, conditions: [condition(base.conditions, 'ImageReady', true, 'Ready', `image ${image.id}`, nowIso), condition(base.conditions, 'ContainerReady', false, 'ContainerFailed', message, nowIso)] },
        downloads,
        touched: true,
      };
    }
    touched ||= action !== 'none';
    return {
      status: {
        ...base, phase: 'Running', reason: 'Running', message: `container ${containerNameOf(w)} runs ${w.spec.image}`, events,
        imageId: image.id, resolvedDigest: image.digest, containerId, observedCounters: counters,
        observedGeneration: (w.metadata as { generation?: number }).generation ?? base.observedGeneration,
        conditions: [condition(base.conditions, 'ImageReady', true, 'Ready', `image ${image.id}${image.digest ? ` (${image.digest})` : ''}`, nowIso), condition(base.conditions, 'ContainerReady', true, 'Running', `container ${containerNameOf(w)}`, nowIso)],
      },
      downloads,
      touched,
    };
  }

  /** Remove the containers of Workloads that no longer exist. Only labelled containers are touched. */
  async removeOrphans(names: ReadonlySet<string>, containers: readonly ObservedContainer[]): Promise<string[]> {
    const removed: string[] = [];
    for (const c of containers) {
      if (c.labels[LABEL_MANAGED] !== 'true' || !c.labels[LABEL_WORKLOAD] || names.has(c.labels[LABEL_WORKLOAD]!)) continue;
      await this.o.docker.removeContainer(c.id, { force: true, v: true });
      removed.push(c.name);
    }
    return removed;
  }
}

function digestOf(repoDigests: readonly string[], repo: string): string | null {
  const d = repoDigests.find((x) => hasDigest([x], repo, x.slice(x.lastIndexOf('@') + 1)));
  return d ? d.slice(d.lastIndexOf('@') + 1) : null;
}
