import { mkdtempSync, rmSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { AuditRecord } from '../../crd/api/audit.js';
import { startImage } from '../../statemachines/runtime.js';
import { SCHEMA_VERSION, Store, StoreLockedError } from './store.js';

const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'imagectl-store-'));
  dirs.push(d);
  return d;
};
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

const rec = (image: string, ms: number, to = 'idle'): AuditRecord => ({
  time: new Date(ms).toISOString(), image, tags: [], from: 'downloaded', to, event: 'observe', reason: 'r', actor: 'agent',
});

describe('store', () => {
  it('tells commit readers what it wrote; a reader that throws does not fail the commit', async () => {
    const s = await Store.open(tmp());
    const seen: unknown[] = [];
    s.on('commit', () => {
      throw new Error('a broken reader');
    });
    s.on('commit', (c) => seen.push(c));
    const img = startImage({ id: 'sha256:a', now: 1, agentDownloaded: false, reason: 'discovered' });
    await expect(s.commit({ putImages: [['sha256:a', img]] })).resolves.toBeUndefined();
    expect((await s.loadImages()).get('sha256:a')?.state).toBe(img.state);
    await s.close();
    expect(seen).toHaveLength(1);
  });

  it('carries a schema version and survives reopen', async () => {
    const dir = tmp();
    let s = await Store.open(dir);
    expect(await s.schemaVersion()).toBe(SCHEMA_VERSION);
    const img = startImage({ id: 'sha256:a', now: 1, agentDownloaded: false, reason: 'discovered' });
    await s.commit({ putImages: [['sha256:a', img]], audit: [rec('sha256:a', 1000)] });
    await s.close();
    s = await Store.open(dir);
    expect((await s.loadImages()).get('sha256:a')).toEqual(img);
    expect(await s.auditForImage('sha256:a')).toHaveLength(1);
    await s.close();
  });

  it('reads one image history through the index, in time order, and the whole log since a time', async () => {
    const s = await Store.open(tmp());
    await s.commit({ audit: [rec('sha256:a', 3000), rec('sha256:b', 1000), rec('sha256:a', 2000, 'in-use'), rec('sha256:c', 5000)] });
    expect((await s.auditForImage('sha256:a')).map((r) => r.time)).toEqual([new Date(2000).toISOString(), new Date(3000).toISOString()]);
    const since: AuditRecord[] = [];
    for await (const r of s.auditLog({ since: 2500 })) since.push(r);
    expect(since.map((r) => r.image)).toEqual(['sha256:a', 'sha256:c']);
    await s.close();
  });

  it('a record written after later-timed ones sorts after them (a cursor never skips it); since filters by its own time', async () => {
    const s = await Store.open(tmp());
    await s.commit({ audit: [rec('sha256:a', 5000, 'removed')] });
    const cursor = (await s.auditAfter(null, 10))[0]![0];
    const late = { ...rec('sha256:a', 4000, 'succeeded'), event: 'api.rmi' };
    await s.commit({ audit: [late] });
    expect((await s.auditAfter(cursor, 10)).map(([, r]) => r)).toEqual([late]);
    expect((await s.auditForImage('sha256:a')).map((r) => r.to)).toEqual(['removed', 'succeeded']);
    expect((await s.auditForImage('sha256:a', { since: 4500 })).map((r) => r.to)).toEqual(['removed']);
    const since: string[] = [];
    for await (const r of s.auditLog({ since: 4500, apiCalls: true })) since.push(r.to);
    expect(since).toEqual(['removed']);
    expect(await s.latestTime()).toBe(5000);
    await s.close();
  });

  it('keys keep rising across a reopen, in the same millisecond too', async () => {
    const dir = tmp();
    let s = await Store.open(dir);
    await s.commit({ audit: [rec('sha256:a', 7000), rec('sha256:a', 7000)] });
    const last = (await s.auditAfter(null, 10))[1]![0];
    await s.close();
    s = await Store.open(dir);
    await s.commit({ audit: [rec('sha256:b', 6000)] });
    const after = await s.auditAfter(last, 10);
    expect(after.map(([, r]) => r.image)).toEqual(['sha256:b']);
    expect((await s.auditAfter(null, 10)).length).toBe(3);
    await s.close();
  });

  it('an empty commit writes nothing', async () => {
    const s = await Store.open(tmp());
    await s.commit({ putImages: [], audit: [] });
    expect(s.writes.batches).toBe(0);
    await s.close();
  });

  it('a second process cannot open a held store and gets a clear error', async () => {
    const dir = tmp();
    const s = await Store.open(dir);
    const script = `import('level').then(async ({Level}) => { const db = new Level(${JSON.stringify(dir)}); try { await db.open(); console.log('opened') } catch (e) { console.log(e.cause?.code ?? e.code) } })`;
    const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', cwd: process.cwd() });
    expect(r.stdout.trim()).toBe('LEVEL_LOCKED');
    await s.close();
    expect(new StoreLockedError(dir).message).toContain('in use by another imagectl agent');
  });
});
