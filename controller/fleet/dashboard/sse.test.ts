/**
 * The dashboard's event stream on a real loopback socket: a page that stops reading (a laptop gone
 * to sleep) is dropped once too much waits for it, and the pages that read go on getting every
 * batch, so what the dashboard holds for its pages stays bounded (as the agent's streams do,
 * controller/api/stream.ts).
 */
import http, { type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { FleetModel } from './model.js';
import { SseHub } from './sse.js';

const cleanup: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanup.splice(0).reverse()) c();
});

async function served(sse: SseHub): Promise<number> {
  const server: Server = http.createServer((_req, res) => sse.open(res, {}));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  cleanup.push(() => {
    sse.close();
    server.closeAllConnections();
    server.close();
  });
  return (server.address() as AddressInfo).port;
}

/** A page's stream: `paused` does not read until `resume()`; every byte is counted, and the last batch seen noted. */
function page(port: number, paused: boolean) {
  const p = { bytes: 0, tail: '', last: -1, closed: false, req: null as http.ClientRequest | null, resume: () => {} };
  p.req = http.get({ host: '127.0.0.1', port, path: '/events' }, (res) => {
    if (paused) res.pause();
    p.resume = () => void res.resume();
    res.on('data', (c: Buffer) => {
      p.bytes += c.length;
      // the batch numbers seen, across chunk boundaries
      const text = p.tail + c.toString('latin1');
      for (const m of text.matchAll(/batch (\d+) /g)) p.last = Math.max(p.last, Number(m[1]));
      p.tail = text.slice(-16);
    });
    res.on('error', () => undefined);
  });
  // the socket's close (a paused client sees it only once it reads again)
  p.req.on('socket', (sock) => sock.on('close', () => (p.closed = true)));
  p.req.on('error', () => (p.closed = true));
  cleanup.push(() => p.req?.destroy());
  return p;
}

const status = (node: string, i: number) =>
  JSON.stringify({ node, labels: {}, lastSeen: new Date().toISOString(), appliedRevision: i, ready: false, reason: `batch ${i} ${'x'.repeat(256 * 1024)}`, objects: [], disk: null, workloads: [], engine: { reachable: true, error: null }, images: [] });

describe('the dashboard event stream', () => {
  it('drops a page that does not read once its backlog is too large; a page that reads gets every batch', async () => {
    const model = new FleetModel();
    const sse = new SseHub(model);
    const port = await served(sse);
    const stuck = page(port, true);
    const reader = page(port, false);
    while (sse.pages < 2) await new Promise((r) => setTimeout(r, 10));
    let i = 0;
    // 256 KiB a batch, each read by the reader before the next: the stuck page's backlog grows far
    // past the 8 MiB a page may hold (plus what the sockets buffer), the reader's never does
    for (; i < 400 && sse.sent.dropped === 0; i++) {
      model.putNode('dev-a', status('dev-a', i), Date.now());
      sse.flush();
      while (reader.last < i && !reader.closed) await new Promise((r) => setImmediate(r));
    }
    expect(sse.sent.dropped).toBe(1);
    expect(sse.pages).toBe(1);
    // the dropped page's connection was closed under it (its EventSource would connect again for a
    // fresh snapshot): reading again, it finds only what the sockets held, then the end
    stuck.resume();
    while (!stuck.closed) await new Promise((r) => setTimeout(r, 10));
    expect(stuck.last).toBeLessThan(i - 1);
    expect(stuck.bytes).toBeLessThan(reader.bytes);
    model.putNode('dev-a', status('dev-a', 9999), Date.now());
    sse.flush();
    while (reader.last !== 9999) {
      expect(reader.closed).toBe(false);
      await new Promise((r) => setTimeout(r, 10));
    }
    expect(reader.bytes).toBeGreaterThan(i * 256 * 1024);
  }, 60_000);
});
