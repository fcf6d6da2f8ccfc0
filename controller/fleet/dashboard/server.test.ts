/**
 * The dashboard's HTTP side on a real loopback socket, without a hub (the model is fed by hand):
 * the token, the login form and its cookie, the Host check of an open dashboard, the SSE snapshot,
 * the images query and the refusal to start on a non-loopback address without a token.
 */
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http, { type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadAssets } from './assets.js';
import { DashboardAuth, isLoopbackHost } from './auth.js';
import { FleetModel } from './model.js';
import { dashboardHandler, listenOn } from './server.js';
import { SseHub } from './sse.js';
import { dashboardToken } from './start.js';

const TOKEN = 'dashboard-token-0123456789abcdef';
const dir = mkdtempSync(join(tmpdir(), 'ictl-dash-'));
const model = new FleetModel();
const servers: Server[] = [];
let open: string;
let locked: string;

async function serve(token: string | null): Promise<string> {
  const sse = new SseHub(model);
  const s = await listenOn(dashboardHandler({ model, sse, auth: new DashboardAuth(token), assets: loadAssets(dir) }), '127.0.0.1', 0);
  servers.push(s);
  s.on('close', () => sse.close());
  return `http://127.0.0.1:${(s.address() as AddressInfo).port}`;
}

/** The first SSE event of `/events`, read and the stream closed. */
async function firstEvent(url: string, headers: Record<string, string>): Promise<{ event: string; data: any }> {
  const ac = new AbortController();
  const r = await fetch(`${url}/events`, { headers, signal: ac.signal });
  expect(r.headers.get('content-type')).toMatch(/^text\/event-stream/);
  const reader = r.body!.getReader();
  let text = '';
  while (!/\n\n(?!$)|data: .*\n\n/.test(text)) text += new TextDecoder().decode((await reader.read()).value);
  ac.abort();
  const block = text.split('\n\n').find((b) => b.includes('event: '))!;
  return { event: /event: (.*)/.exec(block)![1]!, data: JSON.parse(/data: (.*)/.exec(block)![1]!) };
}

beforeAll(async () => {
  writeFileSync(join(dir, 'index.html'), '<!doctype html><title>dash</title><!-- snapshot -->');
  writeFileSync(join(dir, 'app.js'), 'console.log(1)');
  writeFileSync(join(dir, 'app.css'), 'body{}');
  model.putNode('dev-a', JSON.stringify({ node: 'dev-a', labels: { site: 'a' }, lastSeen: new Date().toISOString(), appliedRevision: 3, ready: true, reason: 'Applied', objects: [], disk: null, workloads: [], engine: { reachable: true, error: null }, images: [{ id: `sha256:${'e'.repeat(64)}`, status: { state: 'idle', tags: ['docker.io/library/app:1.2'], repoDigests: [], sizeBytes: 10 } }] }), Date.now());
  open = await serve(null);
  locked = await serve(TOKEN);
});

afterAll(async () => {
  await Promise.all(servers.map((s) => new Promise((r) => { s.closeAllConnections(); s.close(r); })));
  rmSync(dir, { recursive: true, force: true });
});

describe('with a token', () => {
  it('refuses requests without it: 401, a login form for the page, and the security headers', async () => {
    const page = await fetch(`${locked}/`);
    expect(page.status).toBe(401);
    expect(page.headers.get('content-security-policy')).toMatch(/default-src 'none'; script-src 'self'/);
    expect(await page.text()).toMatch(/<form method="post" action="\/login">[\s\S]*<label for="token">Token<\/label>/);
    for (const p of ['/events', '/app.js', '/api/images?q=app:1.2']) expect((await fetch(`${locked}${p}`)).status).toBe(401);
    expect((await fetch(`${locked}/`, { headers: { authorization: `Bearer ${TOKEN}x` } })).status).toBe(401);
    expect((await fetch(`${locked}/`, { headers: { cookie: 'imagectl_dashboard=forged' } })).status).toBe(401);
    // the login form's stylesheet is the one thing served without it
    expect((await fetch(`${locked}/app.css`)).status).toBe(200);
  });

  it('accepts the bearer token, and the cookie that the login form sets (not the token itself)', async () => {
    expect((await fetch(`${locked}/`, { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(200);
    const wrong = await fetch(`${locked}/login`, { method: 'POST', body: new URLSearchParams({ token: 'nope' }), redirect: 'manual' });
    expect(wrong.status).toBe(401);
    expect(await wrong.text()).toMatch(/role="alert"/);
    const ok = await fetch(`${locked}/login`, { method: 'POST', body: new URLSearchParams({ token: TOKEN }), redirect: 'manual' });
    expect(ok.status).toBe(303);
    const cookie = ok.headers.get('set-cookie')!;
    expect(cookie).toMatch(/^imagectl_dashboard=[\w-]+; Path=\/; HttpOnly; SameSite=Strict$/);
    expect(cookie).not.toContain(TOKEN);
    const page = await fetch(`${locked}/`, { headers: { cookie: cookie.split(';')[0]! } });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<title>dash</title>');
    const ev = await firstEvent(locked, { cookie: cookie.split(';')[0]! });
    expect(ev.event).toBe('snapshot');
    expect(ev.data.devices.map((d: { name: string }) => d.name)).toEqual(['dev-a']);
  });
});

describe('without a token (loopback only)', () => {
  it('serves a loopback Host and refuses any other (DNS rebinding)', async () => {
    expect((await fetch(`${open}/`)).status).toBe(200);
    const port = Number(new URL(open).port);
    // fetch() does not let a page choose the Host header; node:http does, as a rebound name would
    const status = await new Promise<number>((resolve, reject) => {
      http.get({ host: '127.0.0.1', port, path: '/', headers: { host: `attacker.example:${port}` } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      }).on('error', reject);
    });
    expect(status).toBe(403);
  });

  it('puts the whole picture in the page, in a script element nothing can close from inside', async () => {
    model.putNode('dev-x', JSON.stringify({ node: 'dev-x', labels: {}, lastSeen: new Date().toISOString(), appliedRevision: 1, ready: false, reason: 'refused: </script><script>alert(1)</script><!--', objects: [], disk: null, workloads: [], engine: { reachable: true, error: null }, images: [] }), Date.now());
    const html = await (await fetch(`${open}/`)).text();
    const m = /<script id="snapshot" type="application\/json">(.*)<\/script>$/.exec(html)!;
    expect(html.match(/<script/g)).toHaveLength(1);
    expect(m[1]).not.toMatch(/</);
    const snap = JSON.parse(m[1]!);
    expect(snap.devices.find((d: { name: string }) => d.name === 'dev-x').reason).toBe('refused: </script><script>alert(1)</script><!--');
    model.putNode('dev-x', null, Date.now());
  });

  it('answers the images query, revalidates assets with their ETag, and says what it does not serve', async () => {
    const a = await (await fetch(`${open}/api/images?q=app:1.2`)).json();
    expect(a.items.map((i: { node: string; state: string }) => [i.node, i.state])).toEqual([['dev-a', 'idle']]);
    const js = await fetch(`${open}/app.js`);
    expect(js.headers.get('content-type')).toMatch(/^text\/javascript/);
    expect((await fetch(`${open}/app.js`, { headers: { 'if-none-match': js.headers.get('etag')! } })).status).toBe(304);
    expect((await fetch(`${open}/nothing`)).status).toBe(404);
    expect((await fetch(`${open}/`, { method: 'DELETE' })).status).toBe(405);
  });
});

describe('the start', () => {
  it('refuses a non-loopback listen address without a token file, and a token file others can read', () => {
    expect(() => dashboardToken('0.0.0.0:8080', undefined)).toThrow(/not a loopback address.*--token-file/);
    expect(() => dashboardToken('[::]:8080', undefined)).toThrow(/not a loopback address/);
    expect(dashboardToken('127.0.0.1:8080', undefined)).toEqual({ host: '127.0.0.1', port: 8080, token: null });
    const f = join(dir, 'token');
    writeFileSync(f, `${TOKEN}\n`);
    chmodSync(f, 0o644);
    expect(() => dashboardToken('0.0.0.0:8080', f)).toThrow(/accessible to other users/);
    chmodSync(f, 0o600);
    expect(dashboardToken('0.0.0.0:8080', f).token).toBe(TOKEN);
    expect(() => dashboardToken('nowhere', undefined)).toThrow(/want HOST:PORT/);
  });

  it('knows loopback hosts', () => {
    expect(['127.0.0.1', '127.8.9.1', 'localhost', '::1', '[::1]', '::ffff:127.0.0.1'].every(isLoopbackHost)).toBe(true);
    expect(['0.0.0.0', '::', '192.168.1.5', 'example.com', '128.0.0.1', ''].some(isLoopbackHost)).toBe(false);
  });
});
