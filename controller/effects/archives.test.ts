import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { cacheArchive, orphanedResidual, removeResidual, resolveArchivePath } from './archives.js';

function setup() {
  const base = mkdtempSync(join(tmpdir(), 'ictl-arch-'));
  const root = join(base, 'archives');
  mkdirSync(root);
  writeFileSync(join(root, 'ok.tar'), 'tar');
  writeFileSync(join(base, 'secret'), 'no');
  symlinkSync(join(base, 'secret'), join(root, 'link.tar'));
  return { base, store: { cacheDir: join(base, 'cache'), roots: [root] } };
}

describe('archives', () => {
  it('resolves paths inside the archive directory and refuses escapes, absolute paths outside and symlinks out', async () => {
    const { base, store } = setup();
    expect(await resolveArchivePath(store, 'ok.tar')).toBe(join(base, 'archives', 'ok.tar'));
    await expect(resolveArchivePath(store, '../secret')).rejects.toMatchObject({ reason: 'ArchiveOutsideRoots' });
    await expect(resolveArchivePath(store, join(base, 'secret'))).rejects.toMatchObject({ reason: 'ArchiveOutsideRoots' });
    await expect(resolveArchivePath(store, 'link.tar')).rejects.toMatchObject({ reason: 'ArchiveOutsideRoots' });
    await expect(resolveArchivePath(store, 'missing.tar')).rejects.toMatchObject({ reason: 'ArchiveNotFound' });
  });

  // finding 10 of the security issue: the error told whether a file existed out there, and where a symlink pointed
  it('says only "not allowed" for anything outside the archive directories', async () => {
    const { base, store } = setup();
    symlinkSync(join(base, 'nowhere'), join(store.roots[0]!, 'dangling.tar'));
    const messages = [];
    for (const p of ['../secret', join(base, 'secret'), '../missing', join(base, 'missing'), '/etc/shadow', 'link.tar', 'dangling.tar']) {
      const err = await resolveArchivePath(store, p).then(() => null, (e: Error & { reason: string }) => e);
      expect(err?.reason, p).toBe('ArchiveOutsideRoots');
      expect(err!.message, p).toBe(`archive ${p} is not allowed: only files in the archive directories (${store.roots[0]}) are read`);
      messages.push(err!.message);
    }
  });

  // finding 8: no cap, and 3 GB written before any check
  it('refuses an archive over the cap, declared or as it streams, leaving nothing in the cache', async () => {
    const { store } = setup();
    const capped = { ...store, maxBytes: 4096 };
    await expect(cacheArchive(capped, Readable.from([Buffer.alloc(10)]), undefined, 5000)).rejects.toMatchObject({ reason: 'ArchiveTooLarge' });
    await expect(cacheArchive(capped, Readable.from([Buffer.alloc(3000), Buffer.alloc(3000)]))).rejects.toMatchObject({ reason: 'ArchiveTooLarge' });
    expect(readdirSync(store.cacheDir)).toEqual([]);
  });

  it('caches under the content digest and refuses a wrong digest without leaving a file', async () => {
    const { base, store } = setup();
    const sha = 'sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08'; // "test"
    await expect(cacheArchive(store, Readable.from([Buffer.from('test')]), `sha256:${'0'.repeat(64)}`)).rejects.toMatchObject({ reason: 'ArchiveDigestMismatch' });
    expect(readdirSync(store.cacheDir)).toEqual([]);
    const r = await cacheArchive(store, Readable.from([Buffer.from('test')]), sha);
    expect(r.digest).toBe(sha);
    expect(readdirSync(store.cacheDir)).toEqual([`${sha.slice(7)}.tar`]);
    await removeResidual(store, [r.path, join(base, 'secret')]);
    expect(readdirSync(store.cacheDir)).toEqual([]);
    expect(readdirSync(base)).toContain('secret'); // outside the cache: never removed
  });

  it('keeps a residual file that another image still refers to', () => {
    const d = new Map([['a', { residual: ['/c/x.tar'] }], ['b', { residual: ['/c/x.tar'] }], ['c', { residual: ['/c/y.tar'] }]]);
    expect(orphanedResidual(d, ['a'])).toEqual([]);
    expect(orphanedResidual(d, ['a', 'b'])).toEqual(['/c/x.tar']);
    expect(orphanedResidual(d, ['c'])).toEqual(['/c/y.tar']);
  });
});
