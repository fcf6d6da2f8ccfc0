/**
 * A pass-through proxy in front of the real engine's socket. It changes nothing in what the engine
 * says; it only lets a test hold one request of the agent until the test has acted, to put a
 * container in exactly the window a real race would need luck to hit (the 409 race), or answer one
 * request with an error after the test made the engine do part of it (a fault that needs the engine
 * to die at one exact point). This is the one fake-ish part of the fault suite, and it is at the
 * socket level.
 */
import http from 'node:http';
import { rmSync } from 'node:fs';

/** An answer the proxy gives instead of the engine's (a fault: the engine did part of the work, then failed). */
export interface Reply {
  status: number;
  json: unknown;
}
export type Hold = (req: http.IncomingMessage) => Promise<void | Reply> | void | Reply;

export class EngineProxy {
  private server: http.Server | null = null;
  hold: Hold | null = null;
  readonly seen: string[] = [];

  constructor(readonly engineSocket: string, readonly socket: string) {}

  get dockerHost(): string {
    return `unix://${this.socket}`;
  }

  async start(): Promise<void> {
    rmSync(this.socket, { force: true });
    this.server = http.createServer((req, res) => {
      this.seen.push(`${req.method} ${req.url}`);
      void (async () => {
        // the whole request first (the agent's requests are small), so it can be sent on even if its client died
        const chunks: Buffer[] = [];
        for await (const c of req) chunks.push(c as Buffer);
        let reply: void | Reply = undefined;
        try {
          reply = await this.hold?.(req);
        } catch {
          // a failing hook must not wedge the request
        }
        if (reply) {
          res.writeHead(reply.status, { 'content-type': 'application/json' });
          res.end(JSON.stringify(reply.json));
          return;
        }
        const up = http.request({ socketPath: this.engineSocket, method: req.method, path: req.url, headers: req.headers }, (ur) => {
          res.writeHead(ur.statusCode ?? 502, ur.headers);
          // as the engine does: a stream's headers go out before its first item (events may be a while)
          res.flushHeaders();
          ur.pipe(res);
        });
        up.on('error', () => res.destroy());
        // a long-lived read (events, logs) ends with its client; a write goes to the engine even if
        // its client died meanwhile (a crash right after sending it)
        if (req.method === 'GET') res.on('close', () => up.destroy());
        up.end(Buffer.concat(chunks));
      })();
    });
    await new Promise<void>((resolve) => this.server!.listen(this.socket, resolve));
  }

  async stop(): Promise<void> {
    const s = this.server;
    this.server = null;
    if (!s) return;
    await new Promise<void>((resolve) => {
      s.close(() => resolve());
      s.closeAllConnections();
    });
  }
}
