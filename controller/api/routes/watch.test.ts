import http from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { startImage, type PersistedImage } from '../../../statemachines/runtime.js';
import type { StoredObject } from '../../store/store.js';
import { serveRoutes } from '../../../test/helpers/routes.js';
import type { ApiDeps } from '../../service/deps.js';
import { MAX_PENDING_BYTES, watchRoutes } from './watch.js';

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

interface Event {
  type: string;
  object?: { metadata: { name: string }; status?: Record<string, unknown> };
}

/** Follow a watch; `events` fills as lines arrive; `next(n)` waits for the n-th event. */
function watch(sock: string, path: string) {
  const events: Event[] = [];
  let bytes = 0;
  let res: http.IncomingMessage | undefined;
  let closed = false;
  const waiters: (() => void)[] = [];
  const req = http.get({ socketPath: sock, path }, (r) => {
    res = r;
    let buf = '';
    r.on('data', (c: Buffer) => {
      bytes += c.length;
      buf += c.toString('utf8');
      for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
        events.push(JSON.parse(buf.slice(0, i)) as Event);
        buf = buf.slice(i + 1);
      }
      waiters.splice(0).forEach((w) => w());
    });
    r.on('close', () => {
      closed = true;
      waiters.splice(0).forEach((w) => w());
    });
  });
  req.on('error', () => {
    closed = true;
    waiters.splice(0).forEach((w) => w());
  });
  return {
    events,
    get closed() {
      return closed;
    },
    get bytes() {
      return bytes;
    },
    async until(pred: () => boolean): Promise<void> {
      while (!pred()) {
        if (closed) throw new Error(`the watch closed; events so far: ${JSON.stringify(events.map((e) => e.type))}`);
        await new Promise<void>((r) => waiters.push(r));
      }
    },
    pause: () => res?.pause(),
    close: () => void req.destroy(),
  };
}

const workload = (name: string, image = 'localhost:5000/app:1'): StoredObject =>
  ({ apiVersion: 'imagectl.dev/v1alpha1', kind: 'Workload', metadata: { name, generation: 1, creationTimestamp: new Date(0).toISOString() }, spec: { image } }) as unknown as StoredObject;

function image(n: number, state: PersistedImage['state'] = 'idle', reason = 'no container uses it'): [string, PersistedImage] {
  const id = `sha256:${String(n).padStart(64, '0')}`;
  const p = startImage({ id, now: 0, agentDownloaded: false, reason });
  return [id, { state, context: { ...p.context, tags: [`fixture/i${n}:1`], reason } }];
}

async function served(reconciler: object) {
  const s = await serveRoutes('imagectl-watch-');
  cleanup.push(() => s.close());
  await s.serve((r, store) => watchRoutes(r, { store, reconciler: { ...reconciler, snapshot: () => reconciler }, nodeLabels: {} } as unknown as ApiDeps));
  return s;
}

describe('GET /v1/watch', () => {
  it('workloads: the current ones, SYNCED, then one event per committed change, status included', async () => {
    const rec = { statuses: new Map([['Workload/a', { phase: 'Running' }]]), images: new Map(), lastObservation: null };
    const s = await served(rec);
    await s.store.commit({ putObjects: [workload('a')] });
    const w = watch(s.sock, '/v1/watch?kind=workloads');
    cleanup.push(() => w.close());
    await w.until(() => w.events.some((e) => e.type === 'SYNCED'));
    expect(w.events.map((e) => [e.type, e.object?.metadata.name, e.object?.status?.phase])).toEqual([['ADDED', 'a', 'Running'], ['SYNCED', undefined, undefined]]);

    await s.store.commit({ putObjects: [workload('b')] });
    await s.store.commit({ putStatuses: [['Workload/b', { phase: 'Failed', reason: 'PullFailed' }]] });
    // a commit that changes nothing this follower saw sends nothing
    await s.store.commit({ putStatuses: [['Workload/b', { phase: 'Failed', reason: 'PullFailed' }]] });
    await s.store.commit({ deleteObjects: [{ kind: 'Workload', name: 'a' }] });
    await w.until(() => w.events.length >= 5);
    expect(w.events.slice(2).map((e) => [e.type, e.object?.metadata.name, e.object?.status?.phase])).toEqual([
      ['ADDED', 'b', 'Pending'],
      ['MODIFIED', 'b', 'Failed'],
      ['DELETED', 'a', 'Running'],
    ]);
  });

  it('images: a removed image is DELETED (unless all=true, where it is MODIFIED)', async () => {
    const [id, idle] = image(1);
    const rec = { images: new Map([[id, idle]]), lastObservation: { images: [{ id, labels: { tier: 'edge' } }], containers: [] }, statuses: new Map() };
    const s = await served(rec);
    const w = watch(s.sock, '/v1/watch?kind=images');
    const all = watch(s.sock, '/v1/watch?kind=images&all=true');
    cleanup.push(() => w.close(), () => all.close());
    await w.until(() => w.events.some((e) => e.type === 'SYNCED'));
    await all.until(() => all.events.some((e) => e.type === 'SYNCED'));
    expect(w.events[0]).toMatchObject({ type: 'ADDED', object: { metadata: { name: id, labels: { tier: 'edge' } }, status: { state: 'idle' } } });
    await s.store.commit({ putImages: [image(1, 'removed', 'rule x/removal[0]: idle 2s >= 1s; removed')] });
    await w.until(() => w.events.length >= 3);
    await all.until(() => all.events.length >= 3);
    expect(w.events[2]).toMatchObject({ type: 'DELETED', object: { metadata: { name: id }, status: { state: 'removed' } } });
    expect(all.events[2]).toMatchObject({ type: 'MODIFIED', object: { status: { state: 'removed' } } });
  });

  it('drops a follower that does not read, instead of buffering for it; one that reads gets everything', async () => {
    const rec = { images: new Map(), lastObservation: null, statuses: new Map() };
    const s = await served(rec);
    const stuck = watch(s.sock, '/v1/watch?kind=images');
    const reader = watch(s.sock, '/v1/watch?kind=images');
    cleanup.push(() => stuck.close(), () => reader.close());
    await stuck.until(() => stuck.events.some((e) => e.type === 'SYNCED'));
    await reader.until(() => reader.events.some((e) => e.type === 'SYNCED'));
    stuck.pause();
    expect(s.store.listenerCount('commit')).toBe(2);
    // far more than MAX_PENDING_BYTES of events, plus what the socket buffers hold
    const batches = 40;
    const perBatch = 100;
    for (let b = 0; b < batches; b++) {
      await s.store.commit({ putImages: Array.from({ length: perBatch }, (_, i) => image(b * perBatch + i, 'idle', `batch ${b} ${'x'.repeat(200)}`)) });
      await new Promise((r) => setImmediate(r));
    }
    await reader.until(() => reader.events.length >= 1 + batches * perBatch);
    expect(reader.events.filter((e) => e.type === 'ADDED')).toHaveLength(batches * perBatch);
    expect(reader.bytes).toBeGreaterThan(2 * MAX_PENDING_BYTES);
    // the stuck follower was cut off: the store no longer holds a listener for it
    expect(s.store.listenerCount('commit')).toBe(1);
    expect(stuck.events.length).toBeLessThan(1 + batches * perBatch);
  });

  it('refuses a kind it cannot watch', async () => {
    const s = await served({ images: new Map(), lastObservation: null, statuses: new Map() });
    const code = await new Promise<number>((resolve) => http.get({ socketPath: s.sock, path: '/v1/watch?kind=pods' }, (r) => {
      r.resume();
      resolve(r.statusCode ?? 0);
    }));
    expect(code).toBe(400);
  });
});
