import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readManifestDir } from './read.js';

describe('readManifestDir', () => {
  // finding 4 and 10 of the security issue: FIFOs wedged the watch, symlinks led out of the directory
  it('reads only regular files inside the directory: FIFOs, devices and symlinks that leave it are refused, never opened', async () => {
    const base = mkdtempSync(join(tmpdir(), 'ictl-read-'));
    const dir = join(base, 'd');
    mkdirSync(join(dir, 'sub'), { recursive: true });
    writeFileSync(join(base, 'secret.yaml'), 'kind: Secret');
    writeFileSync(join(dir, 'a.yaml'), 'a: 1');
    writeFileSync(join(dir, 'sub', 'b.yaml'), 'b: 1');
    execFileSync('mkfifo', [join(dir, 'fifo.yaml')]);
    symlinkSync(join(dir, 'fifo.yaml'), join(dir, 'to-fifo.yaml'));
    symlinkSync(join(base, 'secret.yaml'), join(dir, 'out.yaml'));
    symlinkSync('/dev/zero', join(dir, 'dev.yaml'));
    symlinkSync(join(dir, 'sub', 'b.yaml'), join(dir, 'in.yaml'));
    symlinkSync(join(dir, 'missing'), join(dir, 'dangling.yaml'));
    const r = await readManifestDir(dir);
    if ('error' in r) throw new Error(r.error);
    expect(r.refused.map((x) => [x.file.slice(dir.length + 1), x.reason])).toEqual([
      ['dev.yaml', 'a symlink that leaves the directory (not followed)'],
      ['fifo.yaml', 'a FIFO (only regular files are read)'],
      ['out.yaml', 'a symlink that leaves the directory (not followed)'],
      ['to-fifo.yaml', 'a FIFO (only regular files are read)'],
    ]);
    const read = r.files.filter((f) => 'data' in f).map((f) => [f.file.slice(dir.length + 1), String((f as { data: Uint8Array }).data)]);
    expect(read).toEqual([['a.yaml', 'a: 1'], ['in.yaml', 'b: 1']]);
    expect(JSON.stringify(r)).not.toContain('Secret');
  });
});
