/**
 * The dashboard's HTTP side: the page (`/`, its bundle), its live stream (`/events`, server-sent
 * events), the images query (`/api/images?q=REF`) and, with a token, the login form. Read-only:
 * nothing here changes the fleet. Every answer carries the security headers (assets.ts).
 */
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import { SECURITY_HEADERS, type Asset } from './assets.js';
import type { DashboardAuth } from './auth.js';
import { imageHolders } from './images-query.js';
import { loginPage, readLoginForm } from './login.js';
import type { FleetModel } from './model.js';
import type { SseHub } from './sse.js';

export interface HandlerOptions {
  model: FleetModel;
  sse: SseHub;
  auth: DashboardAuth;
  assets: Map<string, Asset>;
}

/** Reachable without the token: the login form and the stylesheet it uses. */
const OPEN = new Set(['/login', '/app.css']);

function send(res: ServerResponse, status: number, type: string, body: string | Buffer, extra: Record<string, string> = {}): void {
  res.writeHead(status, { ...SECURITY_HEADERS, 'content-type': type, 'content-length': String(Buffer.byteLength(body)), 'cache-control': 'no-store', ...extra });
  res.end(body);
}

function json(res: ServerResponse, status: number, body: unknown): void {
  send(res, status, 'application/json; charset=utf-8', JSON.stringify(body));
}

function asset(req: IncomingMessage, res: ServerResponse, a: Asset): void {
  if (req.headers['if-none-match'] === a.etag) {
    res.writeHead(304, { ...SECURITY_HEADERS, etag: a.etag, 'cache-control': 'no-cache' });
    res.end();
    return;
  }
  // no-cache: revalidated on every load (an upgrade changes the bundle), answered 304 when the same
  send(res, 200, a.type, req.method === 'HEAD' ? '' : a.body, { etag: a.etag, 'cache-control': 'no-cache', 'content-length': String(a.body.length) });
}

/**
 * The page with the whole picture in it (a JSON script element, which runs nothing): the page
 * draws it at once instead of waiting for its event stream to connect, which then brings the
 * changes (and a snapshot of its own, which changes nothing drawn).
 */
function page(res: ServerResponse, o: HandlerOptions): void {
  const html = o.assets.get('/index.html')!.body.toString('utf8');
  // `<` as \u003c: the JSON cannot end the script element or open a comment
  const json = JSON.stringify(o.model.snapshot(Date.now())).replace(/</g, '\\u003c');
  send(res, 200, 'text/html; charset=utf-8', html.replace(SNAPSHOT_SLOT, `<script id="snapshot" type="application/json">${json}</script>`));
}

/** Where index.html takes the snapshot. */
export const SNAPSHOT_SLOT = '<!-- snapshot -->';

/** A request without the token: the login form for a browser's page, 401 for the rest. */
function refuse(req: IncomingMessage, res: ServerResponse, o: HandlerOptions, path: string): void {
  if (!o.auth.required) return json(res, 403, { message: 'this dashboard answers only requests to a loopback host name (127.0.0.1, localhost, [::1])' });
  if (path === '/' && req.method === 'GET') return send(res, 401, 'text/html; charset=utf-8', loginPage(false), { 'www-authenticate': 'Bearer' });
  json(res, 401, { message: 'unauthorized: send Authorization: Bearer <token from --token-file>, or sign in at /' });
}

async function login(req: IncomingMessage, res: ServerResponse, o: HandlerOptions): Promise<void> {
  const token = await readLoginForm(req);
  if (token === null || !o.auth.tokenMatches(token)) return send(res, 401, 'text/html; charset=utf-8', loginPage(true), { 'www-authenticate': 'Bearer' });
  res.writeHead(303, { ...SECURITY_HEADERS, location: '/', 'set-cookie': o.auth.loginCookie(), 'content-length': '0' });
  res.end();
}

async function route(req: IncomingMessage, res: ServerResponse, o: HandlerOptions): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://dashboard');
  const path = url.pathname;
  const method = req.method ?? 'GET';
  if (method === 'POST' && path === '/login' && o.auth.required) return login(req, res, o);
  if (!(OPEN.has(path) && method === 'GET') && !o.auth.allows(req)) return refuse(req, res, o, path);
  if (method !== 'GET' && method !== 'HEAD') return json(res, 405, { message: `${method} is not served here: the dashboard only reads` });
  if (path === '/events') return o.sse.open(res, SECURITY_HEADERS);
  if (path === '/api/images') return json(res, 200, imageHolders(o.model.nodes.values(), url.searchParams.get('q') ?? ''));
  if (path === '/' || path === '/index.html') return page(res, o);
  const a = o.assets.get(path);
  if (a) return asset(req, res, a);
  json(res, 404, { message: `${path} not found` });
}

/** The request handler: routes, and a 500 that says what went wrong rather than a dropped connection. */
export function dashboardHandler(o: HandlerOptions): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    route(req, res, o).catch((err: unknown) => {
      if (!res.headersSent) json(res, 500, { message: (err as Error).message });
      else res.destroy();
    });
  };
}

/** Listen on `host:port`; an address in use or not available is an error naming it. */
export async function listenOn(handler: http.RequestListener, host: string, port: number): Promise<http.Server> {
  const server = http.createServer(handler);
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err) => reject(new Error(`--listen ${host}:${port}: ${(err as Error).message}`)));
    server.listen(port, host, () => resolve());
  });
  return server;
}
