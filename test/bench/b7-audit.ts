/**
 * B7 — the audit log at 1M records, in the real Store (LevelDB) in a temp dir:
 * - append rate, committing 1000 records per batch (a big pass), against raw LevelDB batches of
 *   the same records without the by-image index (baseline: the store's floor);
 * - one image's history through the index, against scanning the whole log (baseline);
 * - `audit --since 1h`: streaming the last hour, peak heap growth, against loading the same range
 *   into memory at once (baseline).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Level } from 'level';
import type { AuditRecord } from '../../crd/api/audit.js';
import { Store } from '../../controller/store/store.js';
import type { Ctx } from './lib/context.js';
import { metric, ms, percentile, type BenchResult } from './lib/stats.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const IMAGES = 1000;
const BATCH = 1000;
const SPAN_MS = 48 * 3600_000; // the records spread over two days; "since 1h" is the last 1/48

function record(i: number, n: number, end: number): AuditRecord {
  const img = i % IMAGES;
  return {
    time: new Date(end - SPAN_MS + Math.floor((i * SPAN_MS) / n)).toISOString(),
    image: `sha256:${img.toString(16).padStart(8, '0')}${'c'.repeat(56)}`,
    tags: [`registry.local/team-${img % 100}/app-${img}:1.${i % 7}`],
    from: 'idle',
    to: i % 2 ? 'in-use' : 'idle',
    event: 'observe',
    reason: i % 2 ? `used by container c-${i % 97}` : 'no container uses it',
    actor: 'agent',
  };
}

export async function b7(ctx: Ctx): Promise<BenchResult> {
  const started = performance.now();
  const N = ctx.quick ? 20_000 : 1_000_000;
  const end = Date.now();
  const append: number[] = [];
  const appendRaw: number[] = [];
  const history: number[] = [];
  const scan: number[] = [];
  const streamHeap: number[] = [];
  const loadHeap: number[] = [];
  const streamMs: number[] = [];
  const notes: string[] = [];
  let sinceCount = 0;

  for (let rep = 0; rep < ctx.reps; rep++) {
    // baseline: raw LevelDB, one put per record, same batches
    {
      const dir = mkdtempSync(join(tmpdir(), 'ictl-b7raw-'));
      const db = new Level<string, unknown>(dir, { valueEncoding: 'json' });
      await db.open();
      const sub = db.sublevel<string, unknown>('audit', { valueEncoding: 'json' });
      const t = performance.now();
      for (let i = 0; i < N; i += BATCH) {
        const ops = [];
        for (let j = i; j < Math.min(N, i + BATCH); j++) ops.push({ type: 'put' as const, key: String(j).padStart(12, '0'), value: record(j, N, end) });
        await sub.batch(ops);
      }
      appendRaw.push(N / (ms(t) / 1000));
      await db.close();
      rmSync(dir, { recursive: true, force: true });
    }

    const dir = mkdtempSync(join(tmpdir(), 'ictl-b7-'));
    const store = await Store.open(dir);
    try {
      let t = performance.now();
      for (let i = 0; i < N; i += BATCH) {
        const audit: AuditRecord[] = [];
        for (let j = i; j < Math.min(N, i + BATCH); j++) audit.push(record(j, N, end));
        await store.commit({ audit });
      }
      append.push(N / (ms(t) / 1000));

      // one image's history: 20 images, p99 of the lookups
      const lookups: number[] = [];
      for (let k = 0; k < 20; k++) {
        const id = record((k * 37) % IMAGES, N, end).image;
        t = performance.now();
        const h = await store.auditForImage(id);
        lookups.push(ms(t));
        if (h.length !== Math.ceil(N / IMAGES) && h.length !== Math.floor(N / IMAGES)) throw new Error(`B7: image history has ${h.length} records`);
      }
      history.push(percentile(lookups, 99));
      // baseline: scan the whole log for that image
      t = performance.now();
      const id0 = record(0, N, end).image;
      let found = 0;
      for await (const r of store.auditLog()) if (r.image === id0) found++;
      scan.push(ms(t));
      if (found === 0) throw new Error('B7: scan found nothing');

      // since 1h, streamed; heap sampled every 1000 records
      const since = end - 3600_000;
      gc();
      let base = process.memoryUsage().heapUsed;
      let peak = 0;
      let n = 0;
      t = performance.now();
      for await (const r of store.auditLog({ since })) {
        void r;
        if (++n % 2000 === 0) {
          gc(); // what the stream retains, not the garbage it makes
          peak = Math.max(peak, process.memoryUsage().heapUsed - base);
        }
      }
      streamMs.push(ms(t));
      streamHeap.push(Math.max(0, peak) / 2 ** 20);
      sinceCount = n;
      // baseline: the same range loaded at once
      gc();
      base = process.memoryUsage().heapUsed;
      const all = await collectAll(store, since);
      gc();
      loadHeap.push((process.memoryUsage().heapUsed - base) / 2 ** 20);
      if (all.length !== n) throw new Error(`B7: streamed ${n} records but loaded ${all}`);
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
    ctx.log(`B7 rep ${rep + 1}: append ${append.at(-1)!.toFixed(0)}/s (raw ${appendRaw.at(-1)!.toFixed(0)}/s), history p99 ${history.at(-1)!.toFixed(1)} ms, since-1h ${sinceCount} records streamed with +${streamHeap.at(-1)!.toFixed(1)} MB heap`);
  }
  const med = (a: number[]) => [...a].sort((x, y) => x - y)[a.length >> 1]!;
  notes.push(`${N} records over 48 h for ${IMAGES} images (${N / IMAGES} each), appended in batches of ${BATCH} records (each record is 2 puts: log + by-image index); "since 1h" = ${sinceCount} records.`);
  return {
    id: 'B7',
    title: `audit log: ${N} records`,
    params: { records: N, images: IMAGES, batch: BATCH },
    reps: ctx.reps,
    metrics: [
      metric('append rate', 'records/s', append, { baseline: { name: 'raw LevelDB batch, no index', samples: appendRaw }, goal: '≥ 20000/s', met: med(append) >= 20_000 }),
      metric("one image's history (p99 of 20)", 'ms', history, { baseline: { name: 'scan of the whole log', samples: scan }, goal: '≤ 20 ms', met: med(history) <= 20 }),
      metric(`since 1h streamed (${sinceCount} records): heap retained while streaming`, 'MB', streamHeap, {
        baseline: { name: 'same range loaded at once', samples: loadHeap },
        goal: 'streams: retains ≤ ¼ of a full load',
        met: med(streamHeap) <= Math.max(1, med(loadHeap) / 4),
      }),
      metric('since 1h streamed: time', 'ms', streamMs, {}),
    ],
    notes,
    durationMs: ms(started),
  };
}

async function collectAll(store: Store, since: number): Promise<unknown[]> {
  // what a non-streaming implementation does: the whole range in one array
  const db = (store as unknown as { audit: { values(o: object): { all(): Promise<unknown[]> } } }).audit;
  return db.values({ gte: `${String(since).padStart(15, '0')}.` }).all();
}
