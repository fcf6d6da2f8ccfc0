/**
 * A raw client of the engine API on its unix socket, over ONE kept-alive connection (maxSockets 1):
 * what the baselines use, so that they pay nothing but the engine's own work.
 */
import http from 'node:http';

export interface RawResponse {
  status: number;
  body: Buffer;
}

export class RawEngine {
  readonly agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  constructor(readonly socketPath: string) {}

  request(method: string, path: string, body?: unknown): Promise<RawResponse> {
    return new Promise((resolve, reject) => {
      const payload = body === undefined ? undefined : JSON.stringify(body);
      const req = http.request(
        { socketPath: this.socketPath, agent: this.agent, method, path, headers: payload ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } : {} },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      if (payload) req.write(payload);
      req.end();
    });
  }

  async json<T = unknown>(method: string, path: string, body?: unknown): Promise<T> {
    const r = await this.request(method, path, body);
    if (r.status >= 400) throw new Error(`${method} ${path}: ${r.status} ${r.body.toString('utf8').slice(0, 300)}`);
    return (r.body.length ? JSON.parse(r.body.toString('utf8')) : undefined) as T;
  }

  /** The images carrying label `bench=<value>`. */
  imagesWithLabel(value: string): Promise<{ Id: string; RepoTags: string[] | null }[]> {
    return this.json('GET', `/images/json?filters=${encodeURIComponent(JSON.stringify({ label: [`bench=${value}`] }))}`);
  }

  /** The engine's own prune, scoped by label, of images that are not dangling (tagged ones too). */
  prune(labelValue: string): Promise<{ ImagesDeleted: { Untagged?: string; Deleted?: string }[] | null; SpaceReclaimed: number }> {
    const filters = JSON.stringify({ label: [`bench=${labelValue}`], dangling: ['false'] });
    return this.json('POST', `/images/prune?filters=${encodeURIComponent(filters)}`);
  }

  close(): void {
    this.agent.destroy();
  }
}
