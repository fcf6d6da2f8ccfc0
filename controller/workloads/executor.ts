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
import { localImage, remoteDigest } from '../effects/pull.js';
import { ArchiveError, type ArchiveStore } from '../effects/archives.js';
import { loadRecorded, pullRecorded, type Pulled } from '../effects/download.js';
import { DiskError, type PullRoom } from '../effects/disk-room.js';
import { containerAction, decideWorkload, hasDigest, imageStep, localRef, pinnedLocal, refParts, type ContainerAction, type Counters, type ImageRefParts, type WorkloadDecision } from './decide.js';
import { withReady } from './ready.js';

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

type Note = (e: Omit<WorkloadEvent, 'time'>) => void;
type Resolved = { id: string; digest: string | null };
type LocalImage = NonNullable<Awaited<ReturnType<typeof localImage>>>;

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
  private async ensureImage(w: Workload, policy: PullPolicy, force: boolean, downloads: [string, DownloadRecord][], note: Note, room?: PullRoom): Promise<Resolved> {
    const parts = refParts(w.spec.image);
    const local = await localImage(this.o.docker, localRef(parts));
    const step = imageStep({ archive: !!w.spec.archive, policy, local: local !== null, pinnedLocal: pinnedLocal(local, parts), force });
    switch (step) {
      case 'missing':
        throw new WorkloadFailure('ImageNotPresent', `image ${w.spec.image} is not present and imagePullPolicy is Never`);
      case 'none':
        return { id: local!.id, digest: parts.pin ?? (w.spec.archive ? null : digestOf(local!.repoDigests, parts.repo)) };
      case 'load':
        return this.loadArchive(w, parts, downloads, note, room);
      case 'resolve':
      case 'pull':
        return this.resolveAndPull(w, parts, policy, local, downloads, note, room);
    }
  }

  private async loadArchive(w: Workload, parts: ImageRefParts, downloads: [string, DownloadRecord][], note: Note, room?: PullRoom): Promise<Resolved> {
    const archive = w.spec.archive!;
    let loaded: Awaited<ReturnType<typeof loadRecorded>>;
    try {
      loaded = await loadRecorded(this.o.docker, this.o.archives, { archive }, w.spec.archiveDigest, `workload ${w.metadata.name} (archive ${archive})`, this.o.now, undefined, room);
    } catch (err) {
      if (err instanceof ArchiveError || err instanceof DiskError) throw new WorkloadFailure(err.reason, err.message);
      throw err;
    }
    downloads.push(...loaded.downloads);
    const img = await localImage(this.o.docker, localRef(parts));
    if (!img) throw new WorkloadFailure('ArchiveMismatch', `archive ${archive} loaded ${loaded.refs.join(', ')}, not ${w.spec.image}`);
    note({ type: 'Normal', reason: 'Loaded', message: `loaded ${w.spec.image} from archive ${archive}` });
    return { id: img.id, digest: parts.pin };
  }

  /** Always, a raised refreshImage, or absent: resolve the registry's digest first, pull only when it differs. */
  private async resolveAndPull(w: Workload, parts: ImageRefParts, policy: PullPolicy, local: LocalImage | null, downloads: [string, DownloadRecord][], note: Note, room?: PullRoom): Promise<Resolved> {
    const { docker } = this.o;
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
    const pullRef = localRef(parts);
    let pulled: Pulled;
    try {
      pulled = await pullRecorded(docker, pullRef, `workload ${w.metadata.name}`, this.o.now, undefined, room);
    } catch (err) {
      if (err instanceof DiskError) throw new WorkloadFailure(err.reason, `${err.message}; the local copy is not used`);
      throw new WorkloadFailure('PullFailed', `pull of ${pullRef} failed: ${errorText(err)}; the local copy is not used`);
    }
    const img = await localImage(docker, pulled.id);
    if (!img || !hasDigest(img.repoDigests, parts.repo, remote)) {
      throw new WorkloadFailure('DigestMismatch', `the pulled image ${pulled.id} does not carry the digest ${remote}; nothing runs`);
    }
    downloads.push(pulled.download);
    note({ type: 'Normal', reason: 'Pulled', message: `pulled ${pullRef} (${remote})${local && local.id !== pulled.id ? `, replacing ${local.id.slice(7, 19)}` : ''}` });
    return { id: pulled.id, digest: remote };
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

  /** `room`: disk room before a pull or load (disk pressure), when the reconciler has it. */
  async reconcile(w: Workload, prev: WorkloadStatus | undefined, containers: readonly ObservedContainer[], room?: PullRoom): Promise<WorkloadResult> {
    const r = await this.converge(w, prev, containers, room);
    return { ...r, status: { ...r.status, conditions: withReady(r.status.conditions, prev?.conditions ?? [], new Date(this.o.now()).toISOString()) } };
  }

  private async converge(w: Workload, prev: WorkloadStatus | undefined, containers: readonly ObservedContainer[], room?: PullRoom): Promise<WorkloadResult> {
    const nowIso = new Date(this.o.now()).toISOString();
    const existing = containers.find((c) => c.labels[LABEL_MANAGED] === 'true' && c.labels[LABEL_WORKLOAD] === w.metadata.name);
    const dec = decideWorkload(w, prev, existing && { specHash: existing.labels[LABEL_SPEC_HASH] }, this.o.defaultPullPolicy);
    const downloads: [string, DownloadRecord][] = [];
    let events = prev?.events ?? [];
    const note: Note = (e) => (events = pushEvent(events, e, nowIso));
    const base = (): WorkloadStatus => ({
      phase: 'Pending', reason: '', message: '', image: w.spec.image, imageId: prev?.imageId ?? null, resolvedDigest: prev?.resolvedDigest ?? null,
      containerName: containerNameOf(w), containerId: existing?.id ?? null, observedGeneration: prev?.observedGeneration ?? 0,
      observedCounters: prev?.observedCounters ?? null, conditions: prev?.conditions ?? [], events,
    });
    let image: Resolved;
    try {
      image = dec.needCheck
        ? await this.ensureImage(w, dec.policy, dec.raised.refresh || dec.raised.purge, downloads, note, room)
        : { id: existing!.imageId, digest: prev?.resolvedDigest ?? null };
    } catch (err) {
      const reason = err instanceof WorkloadFailure ? err.reason : 'ImageFailed';
      const message = errorText(err);
      if (prev?.reason !== reason || prev?.message !== message) note({ type: 'Warning', reason, message });
      return { status: imageFailed(base(), existing, reason, message, nowIso), downloads, touched: downloads.length > 0 };
    }
    const action = containerAction(existing && { imageId: existing.imageId, state: existing.state, specHash: existing.labels[LABEL_SPEC_HASH] }, image.id, dec.hash, dec.raised);
    let containerId = existing?.id ?? null;
    try {
      containerId = await this.act(action, w, existing, image.id, dec, note);
    } catch (err) {
      const message = `container ${action} failed: ${errorText(err)}`;
      note({ type: 'Warning', reason: 'ContainerFailed', message });
      const conditions = [condition(base().conditions, 'ImageReady', true, 'Ready', `image ${image.id}`, nowIso), condition(base().conditions, 'ContainerReady', false, 'ContainerFailed', message, nowIso)];
      return { status: { ...base(), phase: 'Failed', reason: 'ContainerFailed', message, imageId: image.id, resolvedDigest: image.digest, conditions }, downloads, touched: true };
    }
    const b = base();
    return {
      status: {
        ...b, phase: 'Running', reason: 'Running', message: `container ${containerNameOf(w)} runs ${w.spec.image}`,
        imageId: image.id, resolvedDigest: image.digest, containerId, observedCounters: dec.counters,
        observedGeneration: (w.metadata as { generation?: number }).generation ?? b.observedGeneration,
        conditions: [condition(b.conditions, 'ImageReady', true, 'Ready', `image ${image.id}${image.digest ? ` (${image.digest})` : ''}`, nowIso), condition(b.conditions, 'ContainerReady', true, 'Running', `container ${containerNameOf(w)}`, nowIso)],
      },
      downloads,
      touched: downloads.length > 0 || action !== 'none',
    };
  }

  /** Do `action` to the Workload's container; returns the container's ID. */
  private async act(action: ContainerAction, w: Workload, existing: ObservedContainer | undefined, imageId: string, dec: WorkloadDecision, note: Note): Promise<string | null> {
    const name = containerNameOf(w);
    switch (action) {
      case 'create': {
        const id = await this.createContainer(w, imageId, dec.hash, []);
        note({ type: 'Normal', reason: 'Created', message: `created container ${name} on ${imageId.slice(7, 19)}` });
        return id;
      }
      case 'recreate':
      case 'purge': {
        const binds = action === 'recreate' ? await this.volumesOf(existing!.id) : [];
        await this.o.docker.removeContainer(existing!.id, { force: true, v: action === 'purge' });
        const id = await this.createContainer(w, imageId, dec.hash, binds);
        const why = dec.specChanged ? ' (spec changed)' : existing!.imageId !== imageId ? ' (new image)' : '';
        note({ type: 'Normal', reason: action === 'purge' ? 'Purged' : 'Recreated', message: `${action === 'purge' ? 'purged and recreated' : 'recreated'} container ${name} on ${imageId.slice(7, 19)}${why}` });
        return id;
      }
      case 'restart':
        await this.o.docker.restartContainer(existing!.id, { t: 2 });
        note({ type: 'Normal', reason: 'Restarted', message: `restarted container ${name}` });
        return existing!.id;
      case 'start':
        await this.o.docker.startContainer(existing!.id);
        return existing!.id;
      case 'none':
        return existing?.id ?? null;
    }
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

/** The status of a Workload whose image could not be brought in: the running container is left as it was. */
function imageFailed(base: WorkloadStatus, existing: ObservedContainer | undefined, reason: string, message: string, nowIso: string): WorkloadStatus {
  const running = !!existing && existing.state === 'running';
  return {
    ...base, phase: 'Failed', reason, message,
    conditions: [
      condition(base.conditions, 'ImageReady', false, reason, message, nowIso),
      condition(base.conditions, 'ContainerReady', running, existing ? 'Unchanged' : 'NotCreated', existing ? 'the running container was left as it was' : 'nothing runs until the image is ready', nowIso),
    ],
  };
}

function digestOf(repoDigests: readonly string[], repo: string): string | null {
  const d = repoDigests.find((x) => hasDigest([x], repo, x.slice(x.lastIndexOf('@') + 1)));
  return d ? d.slice(d.lastIndexOf('@') + 1) : null;
}
