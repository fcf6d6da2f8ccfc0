/**
 * Where the metrics are served: `GET /metrics` on the API (its socket, and `--listen`), and the
 * metrics port (`agent --metrics-listen`), which serves `/metrics` and nothing else (404), to
 * nobody without the bearer token when `--metrics-token-file` is given (401).
 */
import http from 'node:http';
import type { Handler } from '../api/http.js';
import type { AgentMetrics } from './metrics.js';

/** The API route. */
export function metricsHandler(metrics: AgentMetrics): Handler {
  return async (_req, res) => {
    const m = await metrics.scrape();
    res.writeHead(200, { 'content-type': m.contentType, 'content-length': Buffer.byteLength(m.text) });
    res.end(m.text);
    return undefined;
  };
}

function plain(res: http.ServerResponse, status: number, text: string, headers: http.OutgoingHttpHeaders = {}): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

/** The metrics port's server; `authorized` checks the Authorization header (null: no token asked). */
export function metricsServer(metrics: AgentMetrics, authorized: ((header: string | undefined) => boolean) | null): http.Server {
  const server = http.createServer((req, res) => {
    if (authorized && !authorized(req.headers.authorization)) {
      plain(res, 401, 'unauthorized: send Authorization: Bearer <token from --metrics-token-file>\n', { 'www-authenticate': 'Bearer' });
      return;
    }
    const path = new URL(req.url ?? '/', 'http://imagectl').pathname;
    if (path !== '/metrics') return plain(res, 404, 'not found: this port serves only /metrics\n');
    if (req.method !== 'GET' && req.method !== 'HEAD') return plain(res, 405, 'method not allowed\n', { allow: 'GET, HEAD' });
    metrics.scrape().then(
      (m) => {
        res.writeHead(200, { 'content-type': m.contentType, 'content-length': Buffer.byteLength(m.text) });
        res.end(req.method === 'HEAD' ? undefined : m.text);
      },
      (err: Error) => plain(res, 500, `metrics failed: ${err.message}\n`),
    );
  });
  server.keepAliveTimeout = 5_000;
  return server;
}
