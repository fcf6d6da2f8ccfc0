import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { imageArchive, tar } from '../../test/fault/helpers/archive.js';
import { TarInspector } from './tar-inspect.js';

/** Feed an archive in chunks of `size` bytes (a sender decides where chunks end). */
async function inspect(b: Buffer, max: number, size = 65536) {
  const t = new TarInspector(max);
  for (let i = 0; i < b.length; i += size) await t.push(b.subarray(i, i + size));
  return t.finish();
}

describe('TarInspector', () => {
  it('reads the tags and image IDs an archive loads, and what it expands to', async () => {
    const { archive, id } = imageArchive({ tags: ['app:1', 'app:latest'], size: 10_000 });
    const r = await inspect(archive, 1e9);
    expect(r.images).toEqual([{ id, tags: ['app:1', 'app:latest'] }]);
    expect(r.expandedBytes).toBeGreaterThan(10_000);
  });

  // finding 8 of the security issue: a 9 MB gzip layer expanded to 2.1 GB in the engine
  it('counts a gzip layer as what it inflates to, however the chunks are cut, and stops past the bound', { timeout: 60_000 }, async () => {
    const { archive } = imageArchive({ tags: ['bomb:1'], size: 64 * 1024 * 1024, gzipLayer: true });
    expect(archive.length).toBeLessThan(200_000);
    for (const size of [1, 7, 511, 65536]) {
      await expect(inspect(archive, 16 * 1024 * 1024, size), String(size)).rejects.toMatchObject({ reason: 'ArchiveExpandsTooMuch' });
    }
    expect((await inspect(archive, 128 * 1024 * 1024)).expandedBytes).toBeGreaterThan(64 * 1024 * 1024);
  });

  it('reads a gzip-compressed archive, and refuses xz, bzip2 and zstd ones and layers', async () => {
    const { archive, id } = imageArchive({ tags: ['z:1'] });
    expect((await inspect(gzipSync(archive), 1e9, 3)).images).toEqual([{ id, tags: ['z:1'] }]);
    for (const magic of [Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]), Buffer.from('BZh91A'), Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0, 0])]) {
      await expect(inspect(Buffer.concat([magic, Buffer.alloc(600)]), 1e9)).rejects.toMatchObject({ reason: 'ArchiveCompression' });
      await expect(inspect(tar([['layer.tar', Buffer.concat([magic, Buffer.alloc(100)])]]), 1e9)).rejects.toMatchObject({ reason: 'ArchiveCompression' });
    }
  });
});
