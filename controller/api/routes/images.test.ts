import http from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import type { AuditRecord } from '../../../crd/api/audit.js';
import type { Store } from '../../store/store.js';
import { serveRoutes } from '../../../test/helpers/routes.js';
import type { ApiDeps } from '../../service/deps.js';
import { imageRoutes } from './images.js';

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

describe('GET /v1/audit', () => {
  it('streams the history at the reader\'s pace: a reader that stops reading stops the store iterator', async () => {
    const served = await serveRoutes('imagectl-audit-');
    cleanup.push(() => served.close());
    const { store, sock } = served;
    const N = 20_000;
    const t0 = Date.UTC(2026, 0, 1);
    for (let b = 0; b < N; b += 2000) {
      const audit: AuditRecord[] = [];
      for (let i = b; i < b + 2000; i++) {
        audit.push({ time: new Date(t0 + i).toISOString(), image: `sha256:${String(i % 50).padStart(64, '0')}`, tags: [`fixture/app-${i}:1`], from: 'idle', to: 'removable', event: 'observe', reason: `rule p/removal[0]: idle ${'x'.repeat(100)}`, actor: 'agent' });
      }
      await store.commit({ audit });
    }
    // count what the route pulls out of the store
    let yielded = 0;
    const counting = Object.create(store) as Store;
    counting.auditEntries = async function* (opts) {
      for await (const e of store.auditEntries(opts)) {
        yielded++;
        yield e;
      }
    };
    await served.serve((r) => imageRoutes(r, { store: counting, reconciler: { snapshot: () => ({ images: new Map() }) } } as unknown as ApiDeps));

    const res = await new Promise<http.IncomingMessage>((resolve, reject) => http.get({ socketPath: sock, path: '/v1/audit?since=0' }, resolve).on('error', reject));
    expect(res.statusCode).toBe(200);
    res.pause();
    await new Promise((r) => setTimeout(r, 500));
    const whilePaused = yielded;
    await new Promise((r) => setTimeout(r, 300));
    // stalled: the socket buffers are full and the route waits for 'drain'
    expect(yielded).toBe(whilePaused);
    expect(whilePaused).toBeLessThan(N / 2);

    let lines = 0;
    let rest = '';
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => {
      const parts = (rest + chunk).split('\n');
      rest = parts.pop()!;
      lines += parts.length;
    });
    res.resume();
    await new Promise((r) => res.on('end', r));
    expect(lines).toBe(N);
    expect(yielded).toBe(N);
  });

  it('with follow, a record written while the history streams comes once, after the history, and the live ones after it', async () => {
    const served = await serveRoutes('imagectl-auditf-');
    cleanup.push(() => served.close());
    const { store, sock } = served;
    const N = 4000;
    const t0 = Date.UTC(2026, 0, 1);
    const rec = (i: number, reason = 'r'.repeat(400)): AuditRecord => ({ time: new Date(t0 + i).toISOString(), image: 'sha256:a', tags: [], from: 'idle', to: 'removable', event: 'observe', reason, actor: 'agent' });
    await store.commit({ audit: Array.from({ length: N }, (_, i) => rec(i)) });
    await served.serve((r) => imageRoutes(r, { store, reconciler: { snapshot: () => ({ images: new Map() }) } } as unknown as ApiDeps));
    const res = await new Promise<http.IncomingMessage>((resolve, reject) => http.get({ socketPath: sock, path: '/v1/audit?follow=true' }, resolve).on('error', reject));
    res.pause();
    const lines: AuditRecord[] = [];
    let rest = '';
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => {
      const parts = (rest + chunk).split('\n');
      rest = parts.pop()!;
      lines.push(...parts.map((l) => JSON.parse(l) as AuditRecord));
    });
    // the reader does not read: the route is stuck inside the history when this is written
    await new Promise((r) => setTimeout(r, 300));
    await store.commit({ audit: [rec(N, 'mid-history')] });
    res.resume();
    const until = async (what: () => boolean) => {
      for (let i = 0; i < 200 && !what(); i++) await new Promise((r) => setTimeout(r, 25));
    };
    await until(() => lines.length >= N);
    await store.commit({ audit: [rec(N + 1, 'live')] });
    await until(() => lines.some((l) => l.reason === 'live'));
    res.destroy();
    expect(lines.length).toBe(N + 2);
    expect(lines.slice(N).map((l) => l.reason)).toEqual(['mid-history', 'live']);
  });
});
