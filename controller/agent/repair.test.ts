import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startImage } from '../../statemachines/runtime.js';
import { Store, StoreDamagedError } from '../store/store.js';
import { entryProblem, formatRepair, loggedKeys, repairStore } from './repair.js';

const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'imagectl-repair-'));
  dirs.push(d);
  return d;
};
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

const policy = (name: string) => ({
  apiVersion: 'imagectl.dev/v1alpha1', kind: 'ImagePolicy', spec: { removal: [] },
  metadata: { name, uid: name, generation: 1, creationTimestamp: '2026-01-01T00:00:00Z' },
});

describe('entryProblem', () => {
  it('accepts the shapes of each sublevel and names what is wrong', () => {
    expect(entryProblem('objects', 'ImagePolicy/a', policy('a'))).toBeNull();
    expect(entryProblem('objects', 'ImagePolicy/b', policy('a'))).toBe('not a manifest object');
    const img = startImage({ id: 'sha256:a', now: 1, agentDownloaded: false, reason: 'r' });
    expect(entryProblem('images', 'sha256:a', img)).toBeNull();
    expect(entryProblem('images', 'sha256:b', img)).toBe('not an image snapshot');
    expect(entryProblem('audit', 'k', { time: 't', event: 'e', to: 'idle' })).toBeNull();
    expect(entryProblem('audit', 'k', 42)).toBe('not an audit record');
  });
});

describe('loggedKeys', () => {
  it('finds puts of objects and images in raw log bytes, and forgets keys deleted later', () => {
    const put = (k: string) => `\x01!objects!${k}\xc5\x02{"kind":"x"}`;
    const del = (k: string) => `\x00!objects!${k}\x01`;
    const img = `\x01!images!sha256:${'a'.repeat(64)}\x90\x03{"state":"idle"}`;
    const keys = loggedKeys(put('ImagePolicy/keep-base') + put('Workload/w1') + img + del('Workload/w1') + put('ImagePolicy/gone') + del('ImagePolicy/gone'));
    expect([...(keys.get('objects') ?? [])]).toEqual(['ImagePolicy/keep-base']);
    expect([...(keys.get('images') ?? [])]).toEqual([`sha256:${'a'.repeat(64)}`]);
  });
});

describe('repairStore', () => {
  it('refused damaged files are repaired: what was readable is kept, the backup is written, nothing claims to be lost', async () => {
    const dir = tmp();
    const s = await Store.open(dir);
    await s.commit({ putObjects: [policy('keep-me') as never], putImages: [['sha256:a', startImage({ id: 'sha256:a', now: 1, agentDownloaded: false, reason: 'r' })]] });
    await s.close();
    // a damaged MANIFEST: LevelDB cannot open the store
    const manifest = readdirSync(dir).find((f) => f.startsWith('MANIFEST-'))!;
    writeFileSync(join(dir, manifest), Buffer.alloc(64, 0xff));
    await expect(Store.open(dir)).rejects.toBeInstanceOf(StoreDamagedError);

    const r = await repairStore(dir, null, Date.parse('2026-01-01T00:00:00Z'));
    expect(readdirSync(r.backup)).toContain(manifest);
    expect(r.kept.objects).toBe(1);
    expect(r.kept.images).toBe(1);
    const text = formatRepair(r);
    expect(text).toContain('nothing was removed from the engine');
    const again = await Store.open(dir);
    expect((await again.listObjects()).map((o) => o.metadata.name)).toEqual(['keep-me']);
    await again.close();
  });
});
