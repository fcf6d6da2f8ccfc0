/**
 * A thin Docker Engine API client: exactly the endpoints the agent uses, on node:http with ONE
 * kept-alive agent (at most 4 sockets), so a pass costs two list calls on one connection and
 * importing it costs next to nothing (the general-purpose client it replaces pulled in ssh2, grpc
 * and protobufjs, ~27 MB of RSS, and its docker-modem ran `util.inspect(options, {showHidden: true,
 * depth: null})` on every request).
 *
 * Requests carry the query parameters that client sent for the same calls, encoded the same way
 * (node:querystring), and the bodies the engine reads (container create's JSON, load's tar). What
 * docker-modem added on top and the engine ignores is not sent: the options echoed as a JSON body
 * on POSTs that take none (pull, tag, restart) and container create's options echoed into its query
 * string (only `name` is read there). The API version is pinned in the path (`/v1.41`, Docker 20.10).
 *
 * A non-2xx answer rejects with an Error carrying `statusCode` and `json: {message}` (the engine's
 * message), as docker-modem's errors did: see `statusOf` and `errorText` in docker.ts.
 */
import http, { type IncomingMessage } from 'node:http';
import querystring from 'node:querystring';
import type { Readable } from 'node:stream';

export const API_VERSION = 'v1.41';

export type EngineAddress = { socketPath: string } | { host: string; port: number };

export interface EngineError extends Error {
  statusCode?: number;
  json?: { message: string };
}

// --- the parts of the engine's answers the agent reads (API v1.41) ---

export interface ImageSummary {
  Id: string;
  ParentId?: string;
  RepoTags: string[] | null;
  RepoDigests: string[] | null;
  Created: number;
  Size: number;
  Labels: Record<string, string> | null;
  Containers?: number;
}

export interface ContainerSummary {
  Id: string;
  Names?: string[];
  Image: string;
  ImageID: string;
  State: string;
  Status?: string;
  Created?: number;
  Labels: Record<string, string> | null;
}

export interface ImageInspect {
  Id: string;
  RepoTags: string[] | null;
  RepoDigests: string[] | null;
  Created?: string;
  Size?: number;
  Config?: { Labels?: Record<string, string> | null; Cmd?: string[] | null } | null;
}

/** One item of DELETE /images/{name}'s answer. */
export interface ImageDeleteItem {
  Untagged?: string;
  Deleted?: string;
}

export interface DistributionInspect {
  Descriptor: { mediaType?: string; digest: string; size?: number };
  Platforms?: { architecture?: string; os?: string }[];
}

export interface ContainerCreateOptions {
  name?: string;
  Image: string;
  Cmd?: string[];
  Env?: string[];
  Labels?: Record<string, string>;
  HostConfig?: {
    NetworkMode?: string;
    RestartPolicy?: { Name: string; MaximumRetryCount?: number };
    Binds?: string[];
    Init?: boolean;
  };
}

export interface ContainerInspect {
  Id: string;
  Name: string;
  Image: string;
  State?: { Status?: string; Running?: boolean };
  Mounts?: { Type: string; Name?: string; Source?: string; Destination: string }[];
}

// --- the client ---

type Query = Record<string, string | number | boolean | undefined>;

interface RequestOptions {
  query?: Query;
  headers?: Record<string, string>;
  /** a JSON body (sent as application/json), or a raw stream */
  json?: unknown;
  body?: Readable;
  contentType?: string;
}

/** X-Registry-Auth for an empty authconfig, encoded as docker-modem did; dockerd 20.10 refuses some registry calls without it. */
const EMPTY_AUTH = Buffer.from(JSON.stringify({})).toString('base64').replace(/\+/g, '-').replace(/\//g, '_');

/** A reference or ID as a path segment: valid ones ([a-z0-9._-/:@]) go as they are, unescaped, as before. */
const seg = (ref: string) => encodeURIComponent(ref).replace(/%2F/gi, '/').replace(/%3A/gi, ':').replace(/%40/gi, '@');

/** `repo:tag` / `repo@digest` → fromImage and tag, as the old client's pull split them (tag `latest` when none). */
export function splitPullRef(ref: string): { fromImage: string; tag: string } {
  const at = ref.indexOf('@');
  const sep = at >= 0 ? at : ref.lastIndexOf(':');
  if (sep >= 0 && !ref.slice(sep + 1).includes('/')) return { fromImage: ref.slice(0, sep), tag: ref.slice(sep + 1) || 'latest' };
  return { fromImage: ref, tag: 'latest' };
}

async function readText(res: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of res) chunks.push(typeof c === 'string' ? Buffer.from(c) : (c as Buffer));
  return Buffer.concat(chunks).toString('utf8'); // decoded whole: a character may span two chunks
}

function engineError(status: number, text: string): EngineError {
  let message = text.trim();
  try {
    const j = JSON.parse(text) as { message?: unknown };
    if (typeof j?.message === 'string') message = j.message;
  } catch {
    // not JSON (a proxy's page, an empty body): the text itself
  }
  message ||= http.STATUS_CODES[status] ?? 'unknown error';
  const err = new Error(`(HTTP code ${status}) ${message}`) as EngineError;
  err.statusCode = status;
  err.json = { message };
  return err;
}

/** The engine's answer to a client newer than itself: `client version 1.41 is too new. Maximum supported API version is 1.40`. */
const TOO_NEW = /client version \S+ is too new\. Maximum supported API version is (1\.\d+)/;

export class EngineClient {
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
  /** the API version in the paths: 1.41, or an older engine's own maximum, learned from its refusal */
  private version = API_VERSION;

  constructor(readonly address: EngineAddress) {}

  /** Send a request. Resolves with the response of a 2xx answer, body unread; rejects on anything else. */
  async request(method: string, path: string, o: RequestOptions = {}): Promise<IncomingMessage> {
    try {
      return await this.send(method, path, o);
    } catch (err) {
      // an older engine (docker CLI does the same negotiation): speak its version, once; a streamed
      // body is spent, so that request fails and the next ones use the version learned here
      const older = (err as EngineError).statusCode === 400 ? TOO_NEW.exec((err as EngineError).json?.message ?? '') : null;
      if (!older || `v${older[1]}` === this.version) throw err;
      this.version = `v${older[1]}`;
      if (o.body) throw err;
      return this.send(method, path, o);
    }
  }

  private send(method: string, path: string, o: RequestOptions): Promise<IncomingMessage> {
    const query = o.query && querystring.stringify(Object.fromEntries(Object.entries(o.query).filter(([, v]) => v !== undefined)) as querystring.ParsedUrlQueryInput);
    const headers: Record<string, string | number> = { ...o.headers };
    const data = o.json === undefined ? undefined : JSON.stringify(o.json);
    if (data !== undefined) {
      headers['Content-Type'] = 'application/json';
      headers['Content-Length'] = Buffer.byteLength(data);
    } else if (o.body && o.contentType) {
      headers['Content-Type'] = o.contentType;
    }
    return new Promise((resolve, reject) => {
      const req = http.request(
        { ...this.address, agent: this.agent, method, path: `/${this.version}${path}${query ? `?${query}` : ''}`, headers },
        (res) => {
          const status = res.statusCode ?? 0;
          if (status >= 200 && status < 300) resolve(res);
          else readText(res).then((text) => reject(engineError(status, text)), reject);
        },
      );
      req.on('error', reject);
      if (o.body) {
        o.body.on('error', (err) => req.destroy(err));
        o.body.pipe(req);
      } else {
        req.end(data);
      }
    });
  }

  /** A request whose answer is one JSON document (or nothing: 204, an empty 201). */
  async call<T>(method: string, path: string, o: RequestOptions = {}): Promise<T> {
    const text = await readText(await this.request(method, path, o));
    return (text.trim() ? JSON.parse(text) : undefined) as T;
  }

  async ping(): Promise<string> {
    return readText(await this.request('GET', '/_ping'));
  }

  listImages(o: { all?: boolean } = {}): Promise<ImageSummary[]> {
    return this.call('GET', '/images/json', { query: { all: o.all } });
  }

  listContainers(o: { all?: boolean } = {}): Promise<ContainerSummary[]> {
    return this.call('GET', '/containers/json', { query: { all: o.all } });
  }

  inspectImage(ref: string): Promise<ImageInspect> {
    return this.call('GET', `/images/${seg(ref)}/json`);
  }

  /** Delete an image or untag a reference. Never forced: the engine refuses (409) while a container uses it. */
  removeImage(ref: string): Promise<ImageDeleteItem[]> {
    return this.call('DELETE', `/images/${seg(ref)}`, { query: { force: false, noprune: false } });
  }

  async tagImage(ref: string, to: { repo: string; tag: string }): Promise<void> {
    await this.call('POST', `/images/${seg(ref)}/tag`, { query: { repo: to.repo, tag: to.tag } });
  }

  /** The registry's descriptor of `ref`, without pulling (GET /distribution/{name}/json). */
  distribution(ref: string): Promise<DistributionInspect> {
    return this.call('GET', `/distribution/${seg(ref)}/json`, { headers: { 'X-Registry-Auth': EMPTY_AUTH } });
  }

  /** Start a pull; resolves with the progress stream (JSON lines; an item may carry `error`). */
  pull(ref: string): Promise<IncomingMessage> {
    return this.request('POST', '/images/create', { query: splitPullRef(ref), headers: { 'X-Registry-Auth': EMPTY_AUTH } });
  }

  /** `docker load` a tar stream; resolves with the progress stream (JSON lines). */
  loadImage(tar: Readable, o: { quiet?: boolean } = {}): Promise<IncomingMessage> {
    return this.request('POST', '/images/load', { query: { quiet: o.quiet }, body: tar, contentType: 'application/tar' });
  }

  /**
   * The engine's event stream (JSON lines), open until the engine or the caller (destroy()) ends it.
   * `since`/`until` (`<seconds>.<nanoseconds>`) replay what the engine still buffers; with `until` it ends there.
   */
  getEvents(o: { filters?: string; since?: string; until?: string } = {}): Promise<IncomingMessage> {
    return this.request('GET', '/events', { query: { filters: o.filters, since: o.since, until: o.until } });
  }

  createContainer(opts: ContainerCreateOptions): Promise<{ Id: string; Warnings?: string[] }> {
    return this.call('POST', '/containers/create', { query: { name: opts.name }, json: opts });
  }

  inspectContainer(id: string): Promise<ContainerInspect> {
    return this.call('GET', `/containers/${seg(id)}/json`);
  }

  async startContainer(id: string): Promise<void> {
    await this.call('POST', `/containers/${seg(id)}/start`);
  }

  async restartContainer(id: string, o: { t?: number } = {}): Promise<void> {
    await this.call('POST', `/containers/${seg(id)}/restart`, { query: { t: o.t } });
  }

  async removeContainer(id: string, o: { force?: boolean; v?: boolean } = {}): Promise<void> {
    await this.call('DELETE', `/containers/${seg(id)}`, { query: { force: o.force, v: o.v } });
  }

  /** Close every socket of the client, open streams included (tests; the agent keeps its client for life). */
  close(): void {
    this.agent.destroy();
  }
}

/**
 * The engine at DOCKER_HOST: `unix:///path`, `tcp://host:port` (plain HTTP, port 2375 by default),
 * or /var/run/docker.sock when unset.
 */
export function engineAddress(host: string | undefined): EngineAddress {
  if (!host || host.startsWith('unix://')) return { socketPath: (host ?? '').slice('unix://'.length) || '/var/run/docker.sock' };
  if (!/^(tcp|http):\/\//.test(host)) throw new Error(`DOCKER_HOST=${host}: only unix:///path and tcp://host:port are supported`);
  const u = new URL(host.replace(/^tcp:/, 'http:'));
  return { host: u.hostname.replace(/^\[(.*)\]$/, '$1'), port: Number(u.port || 2375) };
}
