import { mkdtemp, rm, rmdir, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { validateForServer } from '../../crd/server.js';
import type { Commit, StoredObject } from '../store/store.js';
import { APPLYSET_LABEL, applysetId } from '../../crd/apply/applyset.js';
import type { ApiDeps } from '../service/deps.js';
import { ManifestWatch, MANIFESTS_APPLYSET } from './watch.js';

/** Just enough of the store and reconciler for applyObjects. */
function fakeDeps() {
  const objects = new Map<string, StoredObject>();
  const commits: Commit[] = [];
  const store = {
    async listObjects(kind?: string) {
      return [...objects.values()].filter((o) => !kind || o.kind === kind);
    },
    async getObject(kind: string, name: string) {
      return objects.get(`${kind}/${name}`);
    },
    async commit(c: Commit) {
      commits.push(c);
      for (const o of c.putObjects ?? []) objects.set(`${o.kind}/${o.metadata.name}`, o);
      for (const o of c.deleteObjects ?? []) objects.delete(`${o.kind}/${o.name}`);
    },
  };
  const reconciler = { async desiredChanged() {} };
  const deps = { store, reconciler, nodeLabels: {}, validate: validateForServer, stateDir: '/nowhere' } as unknown as ApiDeps;
  return { deps, objects, commits, names: () => [...objects.keys()].sort() };
}

const policy = (name: string, deleteAfter = '1h') =>
  `apiVersion: imagectl.dev/v1alpha1\nkind: ImagePolicy\nmetadata:\n  name: ${name}\nspec:\n  removal:\n    - imageName: "app:*"\n      deleteAfter: ${deleteAfter}\n`;

async function until(what: string, fn: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!fn()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const silent = { info() {}, warn() {} };

describe('ManifestWatch', () => {
  let dir: string;
  let w: ManifestWatch | undefined;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ictl-watch-'));
  });
  afterEach(async () => {
    await w?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('applies the directory at start as its own applyset, follows changes, and prunes what left it', async () => {
    const f = fakeDeps();
    await writeFile(join(dir, 'a.yaml'), policy('a'));
    await writeFile(join(dir, 'b.yaml'), policy('b'));
    await writeFile(join(dir, 'notes.md'), 'not a manifest');
    w = new ManifestWatch({ dir, log: silent, pollMs: 60_000, debounceMs: 20 });
    await w.start(f.deps);
    expect(f.names()).toEqual(['ImagePolicy/a', 'ImagePolicy/b']);
    expect(f.objects.get('ImagePolicy/a')!.metadata.labels).toEqual({ [APPLYSET_LABEL]: applysetId(MANIFESTS_APPLYSET) });
    expect(w.status()).toMatchObject({ dir, applyset: 'agent-manifests', error: null, objects: ['imagepolicy/a', 'imagepolicy/b'] });
    expect(w.status().lastAppliedAt).not.toBeNull();

    // an object applied from elsewhere is never pruned
    f.objects.set('ImagePolicy/elsewhere', { ...f.objects.get('ImagePolicy/a')!, metadata: { ...f.objects.get('ImagePolicy/a')!.metadata, name: 'elsewhere', labels: {} } });

    await writeFile(join(dir, 'c.yaml'), policy('c'));
    await until('c applied', () => f.objects.has('ImagePolicy/c'));
    await unlink(join(dir, 'b.yaml'));
    await until('b pruned', () => !f.objects.has('ImagePolicy/b'));
    expect(f.names()).toEqual(['ImagePolicy/a', 'ImagePolicy/c', 'ImagePolicy/elsewhere']);
    expect(f.commits.at(-2)).toEqual({ putObjects: [], deleteObjects: [{ kind: 'ImagePolicy', name: 'b' }] });
    // each apply that changed something is audited, with the directory as the actor
    const audited = f.commits.flatMap((c) => c.audit ?? []);
    expect(audited.map((a) => [a.event, a.actor, a.to, a.reason])).toEqual([
      ['api.apply', `manifests ${dir}`, 'succeeded', 'apply imagepolicy/a created, imagepolicy/b created'],
      ['api.apply', `manifests ${dir}`, 'succeeded', 'apply imagepolicy/c created'],
      ['api.apply', `manifests ${dir}`, 'succeeded', 'apply imagepolicy/b pruned'],
    ]);
  });

  it('keeps the last good set while a file is half-written or broken, and reports the problem', async () => {
    const f = fakeDeps();
    await writeFile(join(dir, 'a.yaml'), policy('a'));
    w = new ManifestWatch({ dir, log: silent, pollMs: 60_000, debounceMs: 20 });
    await w.start(f.deps);
    const good = f.objects.get('ImagePolicy/a');

    await writeFile(join(dir, 'a.yaml'), policy('a', '2h').slice(0, 60)); // half-written
    await until('the error', () => w!.status().error !== null);
    expect(w.status().error).toMatch(/^1 problem in .*:\n.*a\.yaml:\d+:\d+ /);
    expect(f.objects.get('ImagePolicy/a')).toBe(good);

    await writeFile(join(dir, 'b.yaml'), policy('b', 'soon')); // broken, and a is still half-written
    await until('both errors', () => (w!.status().error ?? '').startsWith('2 problems'));
    expect(w.status().error).toContain('spec.removal[0].deleteAfter: invalid duration "soon"');
    expect(f.names()).toEqual(['ImagePolicy/a']);
    const refused = f.commits.flatMap((c) => c.audit ?? []).filter((a) => a.to === 'failed');
    expect(refused.at(-1)?.reason).toMatch(/^apply refused: 2 problems in .* invalid duration "soon".*; the last good set stays applied$/);

    await writeFile(join(dir, 'a.yaml'), policy('a', '2h'));
    await writeFile(join(dir, 'b.yaml'), policy('b'));
    await until('recovery', () => w!.status().error === null && f.objects.has('ImagePolicy/b'));
    expect((f.objects.get('ImagePolicy/a')!.spec as { removal: { deleteAfter: string }[] }).removal[0]!.deleteAfter).toBe('2h');
  });

  it('prunes the whole set when the directory is emptied, but nothing when it is gone', async () => {
    const f = fakeDeps();
    await writeFile(join(dir, 'a.yaml'), policy('a'));
    w = new ManifestWatch({ dir, log: silent, pollMs: 60_000, debounceMs: 20 });
    await w.start(f.deps);
    await unlink(join(dir, 'a.yaml'));
    await until('a pruned', () => f.objects.size === 0);
    expect(w.status()).toMatchObject({ error: null, objects: [] });

    await writeFile(join(dir, 'a.yaml'), policy('a'));
    await until('a back', () => f.objects.size === 1);
    await unlink(join(dir, 'a.yaml'));
    await rmdir(dir);
    await w.sync('test');
    expect(w.status().error).toMatch(/no such directory/);
  });

  it('reports a conflict with another applyset and applies nothing', async () => {
    const f = fakeDeps();
    await writeFile(join(dir, 'a.yaml'), policy('a'));
    f.objects.set('ImagePolicy/a', {
      apiVersion: 'imagectl.dev/v1alpha1', kind: 'ImagePolicy', spec: {},
      metadata: { name: 'a', labels: { [APPLYSET_LABEL]: applysetId('other') }, uid: 'u', generation: 1, creationTimestamp: new Date().toISOString() },
    });
    w = new ManifestWatch({ dir, log: silent, pollMs: 60_000, debounceMs: 20 });
    await w.start(f.deps);
    expect(w.status().error).toMatch(/^1 conflict\(s\); nothing was applied\nimagepolicy\/a belongs to another applyset/);
    // no object written: only the audit record of the refused apply
    expect(f.commits.map((c) => [c.putObjects, c.deleteObjects, c.audit?.map((a) => a.to)])).toEqual([[undefined, undefined, ['failed']]]);
  });
});
