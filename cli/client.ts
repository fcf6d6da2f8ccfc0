/** The CLI's client of the agent's API: its unix socket, or its TCP listener (--server, with a bearer token). */
import http from 'node:http';
import { LineSplitter } from '../crd/api/lines.js';

export class CliError extends Error {
  constructor(message: string, readonly exitCode = 1) {
    super(message);
  }
}

export interface ApiError {
  status: number;
  message: string;
  details?: unknown;
}

/** The agent's TCP listener (`agent --listen`), reached with the token of its `--token-file`. */
export interface Remote {
  url: URL;
  token: string;
}

export class Client {
  constructor(readonly socket: string, readonly stateDir: string, readonly remote?: Remote) {}

  /** Where requests go, and how they authenticate. */
  target(headers: http.OutgoingHttpHeaders = {}): http.RequestOptions {
    if (!this.remote) return { socketPath: this.socket, headers };
    const { url, token } = this.remote;
    return { host: url.hostname, port: Number(url.port || 80), headers: { ...headers, authorization: `Bearer ${token}` } };
  }

  /** Where the agent is, for messages. */
  get where(): string {
    return this.remote ? this.remote.url.origin : this.socket;
  }

  unreachable(err: NodeJS.ErrnoException): CliError {
    if (this.remote) return new CliError(`cannot reach the imagectl agent at ${this.where}: ${err.code === 'ECONNREFUSED' ? 'nobody is listening (is the agent running with --listen?)' : err.message}`);
    const how = `start one with: imagectl agent --state-dir ${this.stateDir}${this.socket.startsWith(this.stateDir) ? '' : ` --socket ${this.socket}`}`;
    const why = err.code === 'ENOENT' ? 'no socket there' : err.code === 'ECONNREFUSED' ? 'nobody is listening (stale socket)' : err.code === 'EACCES' ? 'permission denied (the socket is mode 0600: run as the agent\'s user)' : err.message;
    return new CliError(`cannot reach the imagectl agent at ${this.socket}: ${why}\n${how}`);
  }

  /** Send a request; resolves with the parsed JSON body, rejects with CliError on failure. */
  request<T = unknown>(method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<T> {
    return new Promise((resolve, reject) => {
      const payload = body === undefined ? undefined : JSON.stringify(body);
      const req = http.request(
        { ...this.target(payload ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } : {}), method, path, signal },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let json: unknown;
            try {
              json = text ? JSON.parse(text) : undefined;
            } catch {
              json = { message: text };
            }
            if ((res.statusCode ?? 500) >= 400) {
              const e = json as { message?: string; details?: unknown };
              const err = new CliError(e?.message ?? `HTTP ${res.statusCode}`) as CliError & ApiError;
              err.status = res.statusCode ?? 500;
              err.details = e?.details;
              reject(err);
            } else resolve(json as T);
          });
        },
      );
      req.on('error', (err: NodeJS.ErrnoException) => reject(this.unreachable(err)));
      if (payload) req.write(payload);
      req.end();
    });
  }

  /** POST a JSON body and stream newline-delimited JSON back. */
  streamPost(path: string, body: unknown, onItem: (item: unknown) => void): Promise<void> {
    return this.stream(path, onItem, 'POST', body);
  }

  /** Stream newline-delimited JSON; `signal` ends it early (the promise then rejects with an AbortError). */
  stream(path: string, onItem: (item: unknown) => void, method = 'GET', body?: unknown, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      const payload = body === undefined ? undefined : JSON.stringify(body);
      const req = http.request({ ...this.target(payload ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } : {}), path, method, signal }, (res) => {
        if ((res.statusCode ?? 500) >= 400) {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            let msg = Buffer.concat(chunks).toString('utf8');
            try {
              msg = (JSON.parse(msg) as { message: string }).message;
            } catch {
              // keep the raw text
            }
            reject(Object.assign(new CliError(msg), { status: res.statusCode }));
          });
          return;
        }
        const lines = new LineSplitter();
        res.on('data', (c: Buffer) => {
          for (const line of lines.push(c)) onItem(JSON.parse(line));
        });
        res.on('end', () => resolve());
        // the agent went away mid-stream (it stopped, or dropped a reader that fell behind)
        res.on('error', (err) => reject(signal?.aborted ? err : new CliError(`the agent closed the stream: ${err.message}`)));
      });
      req.on('error', (err: NodeJS.ErrnoException) => reject(signal?.aborted ? err : this.unreachable(err)));
      req.end(payload);
    });
  }
}
