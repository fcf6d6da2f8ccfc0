import { mkdtemp, mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expandInputs, readFileCapped } from './inputs.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ictl-inputs-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe.each([false, true])('readFileCapped (sync: %s)', (sync) => {
  it('reads a file whole up to the limit, and says too large past it', async () => {
    for (const size of [0, 1, 9, 10]) {
      await writeFile(join(dir, `f${size}`), Buffer.alloc(size, 'a'));
      const r = await readFileCapped(join(dir, `f${size}`), 10, { sync });
      expect(Buffer.isBuffer(r) && r.length, String(size)).toBe(size);
    }
    await writeFile(join(dir, 'f11'), Buffer.alloc(11, 'a'));
    expect(await readFileCapped(join(dir, 'f11'), 10, { sync })).toMatchObject({ line: 1, col: 1, message: expect.stringContaining('file too large') });
  });

  it('stops a device without a size one byte past the limit', async () => {
    const r = await readFileCapped('/dev/zero', 1000, { sync });
    expect(Buffer.isBuffer(r) && r.length).toBe(1001);
  });

  it('reports what cannot be read', async () => {
    expect(await readFileCapped(join(dir, 'missing'), 10, { sync })).toMatchObject({ message: 'no such file or directory' });
  });
});

describe('expandInputs', () => {
  it('lists manifests by name, follows symlinks, skips dangling ones and other files', async () => {
    const d = join(dir, 'tree');
    await mkdir(join(d, 'sub'), { recursive: true });
    for (const f of ['b.yaml', 'a.yml', 'c.json', 'notes.txt', 'sub/d.yaml']) await writeFile(join(d, f), 'x');
    await symlink(join(d, 'a.yml'), join(d, 'link.yaml'));
    await symlink(join(d, 'gone.yaml'), join(d, 'dangling.yaml'));
    await symlink(join(d, 'sub'), join(d, 'sublink'));
    const paths = (s: Awaited<ReturnType<typeof expandInputs>>) => s.map((x) => (x.type === 'file' ? x.path.slice(d.length + 1) : x.type));
    expect(paths(await expandInputs([d], false))).toEqual(['a.yml', 'b.yaml', 'c.json', 'link.yaml']);
    expect(paths(await expandInputs([d], true))).toEqual(['a.yml', 'b.yaml', 'c.json', 'link.yaml', 'sub/d.yaml']);
  });
});
