/** The CLI's client of the agent's API on its unix socket. */
import http from 'node:http';

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

export class Client {
  constructor(readonly socket: string, readonly stateDir: string) {}

  private unreachable(err: NodeJS.ErrnoException): CliError {
    const how = `start one with: imagectl agent --state-dir ${this.stateDir}${this.socket.startsWith(this.stateDir) ? '' : ` --socket ${this.socket}`}`;
    const why = err.code === 'ENOENT' ? 'no socket there' : err.code === 'ECONNREFUSED' ? 'nobody is listening (stale socket)' : err.code === 'EACCES' ? 'permission denied (the socket is mode 0600: run as the agent\'s user)' : err.message;
    return new CliError(`cannot reach the imagectl agent at ${this.socket}: ${why}\n${how}`);
  }

  /** Send a request; resolves with the parsed JSON body, rejects with CliError on failure. */
  request<T = unknown>(method: string, path: string, body?: unknown): Promise<T> {
    return new Promise((resolve, reject) => {
      const payload = body === undefined ? undefined : JSON.stringify(body);
      const req = http.request(
        { socketPath: this.socket, method, path, headers: payload ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } : {} },
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

  /** Stream newline-delimited JSON. */
  stream(path: string, onItem: (item: unknown) => void, method = 'GET', body?: unknown): Promise<void> {
    return new Promise((resolve, reject) => {
      const payload = body === undefined ? undefined : JSON.stringify(body);
      const req = http.request({ socketPath: this.socket, path, method, headers: payload ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } : {} }, (res) => {
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
            reject(new CliError(msg));
          });
          return;
        }
        let buf = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => {
          buf += c;
          let i: number;
          while ((i = buf.indexOf('\n')) >= 0) {
            const line = buf.slice(0, i);
            buf = buf.slice(i + 1);
            if (line.trim()) onItem(JSON.parse(line));
          }
        });
        res.on('end', () => resolve());
        res.on('error', reject);
      });
      req.on('error', (err: NodeJS.ErrnoException) => reject(this.unreachable(err)));
      req.end(payload);
    });
  }
}
