/** Raw HTTP calls to the agent's API (unix socket or TCP), for status codes the CLI hides. */
import http from 'node:http';

export interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
  json: any;
}

export function call(
  target: { socketPath: string } | { host: string; port: number },
  method: string,
  path: string,
  body?: string | Buffer,
  headers: Record<string, string> = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request({ ...target, method, path, headers: { ...(body !== undefined ? { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) } : {}), ...headers }, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
      });
    });
    req.on('error', reject);
    // a server that answers 413 early may close before the whole body is written
    req.on('error', () => undefined);
    if (body !== undefined) req.end(body);
    else req.end();
  });
}

/** The agent's health (safe mode, pass stats, clock, engine). */
export async function health(socketPath: string): Promise<any> {
  return (await call({ socketPath }, 'GET', '/v1/health')).json;
}

/** Every image the agent tracks, removed ones included. */
export async function images(socketPath: string): Promise<{ metadata: { name: string }; status: { state: string; tags: string[]; lastUsedAt: string | null; removeAt: string | null; reason: string; usedBy: string[] } }[]> {
  const r = await call({ socketPath }, 'GET', '/v1/images?all=true');
  if (r.status !== 200) throw new Error(`GET /v1/images: ${r.status} ${r.text}`);
  return r.json.items;
}

/** The whole audit log (transitions and API calls). */
export async function auditLog(socketPath: string, image?: string): Promise<{ time: string; image: string | null; tags: string[]; from: string | null; to: string; event: string; reason: string; actor: string }[]> {
  const r = await call({ socketPath }, 'GET', `/v1/audit${image ? `?image=${encodeURIComponent(image)}` : ''}`);
  if (r.status !== 200) throw new Error(`GET /v1/audit: ${r.status} ${r.text}`);
  return r.text.split('\n').filter(Boolean).map((l) => JSON.parse(l));
}
