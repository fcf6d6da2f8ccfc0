/**
 * A small JSON router for the agent's local API. Unknown routes get 404, a wrong method 405,
 * malformed JSON 400, and a body over the cap 413 (checked against Content-Length before reading,
 * and while reading). Every call that is not a GET is reported to `onMutation` with its actor, so
 * that the agent can audit it.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { HttpError } from '../service/errors.js';
import { ByteBudget } from './bodies.js';

export { HttpError } from '../service/errors.js';

export const MAX_BODY_BYTES = 8 * 1024 * 1024;

/** What a mutating call did, for the audit log. */
export interface CallRecord {
  /** `apply`, `delete`, `refresh`, `pull`, `load`, `rmi`, … (from the route) */
  verb: string;
  method: string;
  path: string;
  actor: string;
  /** when the request came in (the record's time: it sorts before the transitions the call caused) */
  startedAt: number;
  status: number;
  /** the handler's result (undefined for streamed answers) */
  result: unknown;
  error: string | null;
  /** what the handler said about the call (`noteCall`) */
  note: CallNote;
}

export interface CallNote {
  image?: string | null;
  tags?: string[];
  /** a summary; the default is made from the route and the status */
  reason?: string;
  /** for streamed answers whose HTTP status is 200 even when the action failed */
  ok?: boolean;
}

const actors = new WeakMap<IncomingMessage, string>();
const limits = new WeakMap<IncomingMessage, number>();
const notes = new WeakMap<IncomingMessage, CallNote>();

/** Who made the request (set by the server that accepted it). */
export function actorOf(req: IncomingMessage): string {
  return actors.get(req) ?? 'unknown';
}

/** Tell the audit what this call concerned and how it ended. */
export function noteCall(req: IncomingMessage, note: CallNote): void {
  notes.set(req, { ...notes.get(req), ...note });
}

/** The verb of a route for the audit: DELETE → `delete`, otherwise its last fixed path segment. */
export function verbOf(method: string, pattern: string): string {
  if (method === 'DELETE') return 'delete';
  const fixed = pattern.split('/').filter((p) => p && !p.startsWith(':'));
  return fixed.at(-1) ?? method.toLowerCase();
}


export type Handler = (req: IncomingMessage, res: ServerResponse, params: Record<string, string>, url: URL) => Promise<unknown>;

interface Route {
  method: string;
  pattern: string;
  re: RegExp;
  keys: string[];
  handler: Handler;
}

export interface RouterOptions {
  /** request body cap (bytes); default 8 MiB */
  maxBodyBytes?: number;
  /** bodies in flight over all connections (bytes); default twice the cap */
  maxBodiesInFlightBytes?: number;
  /** called after every call that is not a GET (the audit) */
  onMutation?: (c: CallRecord) => Promise<void>;
  /** the clock for `startedAt` */
  now?: () => number;
}

export class Router {
  private routes: Route[] = [];
  readonly bodies: ByteBudget;
  constructor(readonly opts: RouterOptions = {}) {
    this.bodies = new ByteBudget(opts.maxBodiesInFlightBytes ?? 2 * (opts.maxBodyBytes ?? MAX_BODY_BYTES));
  }

  on(method: string, pattern: string, handler: Handler): this {
    const keys: string[] = [];
    const re = new RegExp(`^${pattern.replace(/:(\w+)/g, (_, k: string) => (keys.push(k), '([^/]+)'))}$`);
    this.routes.push({ method, pattern, re, keys, handler });
    return this;
  }

  /** Run a route's handler: its path parameters, the body cap, and the bound on bodies in flight. */
  private async run(route: Route, req: IncomingMessage, res: ServerResponse, url: URL, limit: number): Promise<unknown> {
    const m = route.re.exec(url.pathname)!;
    let params: Record<string, string>;
    try {
      params = Object.fromEntries(route.keys.map((k, i) => [k, decodeURIComponent(m[i + 1]!)]));
    } catch {
      throw new HttpError(400, `malformed path ${url.pathname}`);
    }
    const declared = Number(req.headers['content-length'] ?? 0);
    if (route.method !== 'GET' && route.pattern !== '/v1/load' && declared > limit) {
      await discard(req, DRAIN_BYTES);
      throw tooLarge(limit);
    }
    // a body is held from before it is read until the answer: bounded over all connections (bodies.ts)
    const size = declared > 0 ? declared : req.headers['transfer-encoding'] !== undefined ? limit : 0;
    const release = route.method === 'GET' || route.pattern === '/v1/load' ? null : await this.bodies.acquire(size);
    try {
      return await route.handler(req, res, params, url);
    } finally {
      release?.();
    }
  }

  /** Serve one request made by `actor` (`uid:0`, `token`, …). */
  async handle(req: IncomingMessage, res: ServerResponse, actor = 'unknown'): Promise<void> {
    actors.set(req, actor);
    const startedAt = (this.opts.now ?? Date.now)();
    const limit = this.opts.maxBodyBytes ?? MAX_BODY_BYTES;
    limits.set(req, limit);
    const url = new URL(req.url ?? '/', 'http://imagectl');
    let route: Route | undefined;
    let out: unknown;
    let status = 200;
    let error: string | null = null;
    let failure: unknown;
    // the audit record is written before the answer is sent, so a client that reads the audit
    // right after sees its call (streamed answers are already sent: their record follows)
    const audit = async () => {
      if (!route || route.method === 'GET' || !this.opts.onMutation) return;
      const r = route;
      route = undefined; // once
      await this.opts.onMutation({
        verb: verbOf(r.method, r.pattern), method: r.method, path: url.pathname, actor, startedAt, status, result: out, error, note: notes.get(req) ?? {},
      }).catch(() => undefined);
    };
    try {
      const matching = this.routes.filter((r) => r.re.test(url.pathname));
      if (matching.length === 0) throw new HttpError(404, `no route ${url.pathname}`);
      route = matching.find((r) => r.method === req.method);
      if (!route) throw new HttpError(405, `${req.method} not allowed on ${url.pathname}`);
      out = await this.run(route, req, res, url, limit);
      status = res.headersSent ? res.statusCode : 200;
      await audit();
      if (!res.headersSent && out !== undefined) sendJson(res, 200, out);
    } catch (err) {
      failure = err;
    }
    if (failure !== undefined) {
      const err = failure;
      status = err instanceof HttpError ? err.status : 500;
      error = err instanceof Error ? err.message : String(err);
      await audit();
      if (!res.headersSent) {
        // a client that sent too much is not read any further
        if (status === 413) res.setHeader('connection', 'close');
        sendJson(res, status, { kind: 'Status', status: 'Failure', code: status, message: error, details: err instanceof HttpError ? err.details : undefined });
      } else res.end();
    }
  }
}

/**
 * How much of an oversized body is read (and dropped) before the 413, so that an ordinary client
 * finishes sending and reads the answer instead of failing with EPIPE; past this the connection is
 * closed under it.
 */
const DRAIN_BYTES = 64 * 1024 * 1024;

/** Read and drop up to `max` bytes of what is left of a request. */
async function discard(req: IncomingMessage, max: number): Promise<void> {
  let n = 0;
  for await (const c of req) {
    n += (c as Buffer).length;
    if (n > max) return;
  }
}

const tooLarge = (limit: number) => new HttpError(413, `request body too large: the limit is ${limit} bytes (agent flag --max-body-bytes)`);

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

export async function readJson(req: IncomingMessage, limit = limits.get(req) ?? MAX_BODY_BYTES): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  let over = false;
  for await (const c of req) {
    size += (c as Buffer).length;
    if (over) {
      if (size > limit + DRAIN_BYTES) break;
      continue;
    }
    if (size > limit) {
      over = true;
      chunks.length = 0;
      continue;
    }
    chunks.push(c as Buffer);
  }
  if (over) throw tooLarge(limit);
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8') || 'null');
  } catch (err) {
    throw new HttpError(400, `malformed JSON: ${(err as Error).message}`);
  }
}
