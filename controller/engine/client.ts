/**
 * The agent's engine client: a typed facade over dockerode, kept for the process's life. Calls go
 * through ONE dockerode instance with ONE kept-alive connection pool (host.ts), so a pass costs two
 * list calls on one socket. The never-ending event stream has a dockerode and a pool of its own: it
 * holds a connection of its own anyway, and docker-modem runs `util.inspect(options, {showHidden:
 * true, depth: null})` on every request, options and agent included, so a stream socket in the
 * calls' pool, with its buffers, would make every call pay for walking it (measured: 3.5 ms per
 * request instead of 0.3). Exactly the calls the agent makes; every one goes through dockerode.
 *
 * - Never forced: image removal sends `force=false`; the engine refuses (409) while any container
 *   (running, stopped or only created) references the image.
 * - Streams (pull, load, events) come back as dockerode hands them out; their items are read and
 *   checked for `error` by the effects (consumeProgress in effects/pull.ts): the engine answers 200
 *   once it streams and reports a failure only as an item.
 * - API version: paths carry /v1.41 (Docker 20.10). An older engine refuses it with "client
 *   version 1.41 is too new. Maximum supported API version is 1.40"; from then on the client
 *   speaks the version the engine named, as the docker CLI negotiates. The refused call is sent
 *   again, unless its body was a stream that is spent (load): that one fails, the next ones work.
 * - Errors are docker-modem's (`statusCode`, `json`); read them with statusOf and errorText.
 */
import type { Readable } from 'node:stream';
import type { Agent, IncomingMessage } from 'node:http';
import Dockerode from 'dockerode';
import { errorText, statusOf } from './errors.js';
import { API_VERSION, type EngineOptions, type EngineTarget } from './host.js';
import type { ContainerCreateOptions, ContainerInspect, ContainerSummary, DistributionInspect, ImageDeleteItem, ImageInspect, ImageSummary } from './types.js';

export type * from './types.js';
export { API_VERSION } from './host.js';

/** The engine's answer to a client newer than itself. */
const TOO_NEW = /client version \S+ is too new\. Maximum supported API version is (1\.\d+)/;

/** An empty registry auth: dockerd 20.10 refuses some registry calls without an X-Registry-Auth header. */
const NO_AUTH = {};

/** Query options without the unset ones (docker-modem would send `all=` for an undefined `all`). */
function query<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

/** dockerode's options with docker-modem's `agent`, which dockerode hands on (its types leave it out) */
function withAgent(options: EngineOptions, agent: Agent | undefined): EngineOptions {
  return { ...options, agent, version: API_VERSION };
}

export class EngineClient {
  /** every call but the event stream */
  readonly docker: Dockerode;
  /** the calls' kept-alive pool (none over ssh) */
  readonly agent: Agent | undefined;
  /** the event stream's own dockerode and pool */
  private readonly stream: Dockerode;
  private readonly streamAgent: Agent | undefined;

  constructor(readonly target: EngineTarget) {
    this.agent = target.newAgent?.();
    this.streamAgent = target.newAgent?.();
    this.docker = new Dockerode(withAgent(target.options, this.agent));
    this.stream = new Dockerode(withAgent(target.options, this.streamAgent));
  }

  /** The API version the paths carry: `v1.41`, or what an older engine named (docker-modem's `version` option). */
  private version = API_VERSION;

  get apiVersion(): string {
    return this.version;
  }

  /** Run one dockerode call; on the engine's "too new" refusal, speak its version (again, if `replayable`). */
  private async negotiated<T>(send: () => Promise<T>, replayable = true): Promise<T> {
    try {
      return await send();
    } catch (err) {
      const older = statusOf(err) === 400 ? TOO_NEW.exec(errorText(err)) : null;
      if (!older || `v${older[1]}` === this.version) throw err;
      this.version = `v${older[1]}`;
      for (const d of [this.docker, this.stream]) Object.assign(d.modem, { version: this.version });
      if (!replayable) throw err;
      return send();
    }
  }

  /** GET /_ping; `signal` gives up waiting (a tcp engine that does not answer). */
  async ping(o: { signal?: AbortSignal } = {}): Promise<string> {
    const ping = this.docker.ping.bind(this.docker) as (opts: { abortSignal?: AbortSignal }) => Promise<unknown>;
    const ok = await this.negotiated(() => ping(query({ abortSignal: o.signal })));
    return Buffer.isBuffer(ok) ? ok.toString('utf8') : String(ok);
  }

  listImages(o: { all?: boolean } = {}): Promise<ImageSummary[]> {
    return this.negotiated(() => this.docker.listImages(query({ all: o.all })) as Promise<ImageSummary[]>);
  }

  listContainers(o: { all?: boolean } = {}): Promise<ContainerSummary[]> {
    return this.negotiated(() => this.docker.listContainers(query({ all: o.all })) as Promise<ContainerSummary[]>);
  }

  inspectImage(ref: string): Promise<ImageInspect> {
    return this.negotiated(() => this.docker.getImage(ref).inspect() as Promise<ImageInspect>);
  }

  /** Delete an image or untag a reference. Never forced. */
  removeImage(ref: string): Promise<ImageDeleteItem[]> {
    return this.negotiated(() => this.docker.getImage(ref).remove({ force: false, noprune: false }) as Promise<ImageDeleteItem[]>);
  }

  async tagImage(ref: string, to: { repo: string; tag: string }): Promise<void> {
    await this.negotiated(() => this.docker.getImage(ref).tag({ repo: to.repo, tag: to.tag }));
  }

  /** The registry's descriptor of `ref`, without pulling. */
  /** The engine's system information (`GET /info`: DockerRootDir among it). */
  info(): Promise<{ DockerRootDir?: string }> {
    return this.negotiated(() => this.docker.info() as Promise<{ DockerRootDir?: string }>);
  }

  distribution(ref: string): Promise<DistributionInspect> {
    return this.negotiated(() => this.docker.getImage(ref).distribution({ authconfig: NO_AUTH }) as Promise<DistributionInspect>);
  }

  /** Start a pull (`repo:tag`, `repo@digest`); resolves with the progress stream (JSON lines; an item may carry `error`). */
  pull(ref: string): Promise<IncomingMessage> {
    return this.negotiated(() => this.docker.pull(ref, { authconfig: NO_AUTH }) as Promise<IncomingMessage>);
  }

  /** `docker load` a tar stream; resolves with the progress stream (JSON lines). */
  loadImage(tar: Readable, o: { quiet?: boolean } = {}): Promise<IncomingMessage> {
    return this.negotiated(() => this.docker.loadImage(tar, query({ quiet: o.quiet })) as Promise<IncomingMessage>, false);
  }

  /**
   * The engine's event stream (JSON lines), open until the engine or the caller (destroy()) ends it.
   * `since`/`until` (`<seconds>.<nanoseconds>`) replay what the engine still buffers; with `until` it ends there.
   * They go as strings: @types/dockerode says numbers, and a number would round the nanoseconds.
   */
  getEvents(o: { filters?: string; since?: string; until?: string } = {}): Promise<IncomingMessage> {
    const opts = query({ filters: o.filters, since: o.since, until: o.until }) as Parameters<Dockerode['getEvents']>[0];
    return this.negotiated(() => this.stream.getEvents(opts) as Promise<IncomingMessage>);
  }

  async createContainer(opts: ContainerCreateOptions): Promise<{ Id: string }> {
    // docker-modem sends `_query` as the query and `_body` as the body: only the name goes into the
    // URL (which an engine may log), the spec and its environment only into the body
    const dial = { name: opts.name, _query: query({ name: opts.name }), _body: opts };
    const c = await this.negotiated(() => this.docker.createContainer(dial));
    return { Id: c.id };
  }

  inspectContainer(id: string): Promise<ContainerInspect> {
    return this.negotiated(() => this.docker.getContainer(id).inspect() as Promise<ContainerInspect>);
  }

  async startContainer(id: string): Promise<void> {
    await this.negotiated(() => this.docker.getContainer(id).start());
  }

  async restartContainer(id: string, o: { t?: number } = {}): Promise<void> {
    await this.negotiated(() => this.docker.getContainer(id).restart(query({ t: o.t })));
  }

  async removeContainer(id: string, o: { force?: boolean; v?: boolean } = {}): Promise<void> {
    await this.negotiated(() => this.docker.getContainer(id).remove(query({ force: o.force, v: o.v })));
  }

  /** Close every kept-alive socket, open streams included (tests; the agent keeps its client for life). */
  close(): void {
    this.agent?.destroy();
    this.streamAgent?.destroy();
  }
}
