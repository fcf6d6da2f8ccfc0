import { mkdtemp, mkdir, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCapped } from './inputs.js';
import { MAX_FILE_BYTES, parseManifestText, type LoadResult } from '../crd/load.js';
import { loadManifests } from './load.js';
import type { ImagePolicySpec } from '../crd/imagepolicy/type.js';
import type { ManifestError } from '../crd/types.js';
import { BAD_INPUT, type Expected } from '../test/bad-input-expectations.js';

const BAD = fileURLToPath(new URL('../test/bad-input/', import.meta.url));

const POLICY = `apiVersion: imagectl.dev/v1alpha1
kind: ImagePolicy
metadata: {name: plant-cleanup, labels: {site: plant-7}}
spec:
  nodeSelector:
    matchLabels: {site: plant-7}
    matchExpressions: [{key: arch, operator: In, values: [arm64]}]
  removal:
    - imageName: "registry.local/app:1.*"
      deleteAfter: 30m
      agentDownloadedOnly: true
    - imageName: "*/sensor:*"
      deleteAfterMinutes: 30
  keep: ["registry.local/base:*"]
`;
const named = (name: string) => POLICY.replace('plant-cleanup', name);

function errorsOf(r: LoadResult): ManifestError[] {
  if (r.ok) throw new Error('expected errors, got none');
  return r.errors;
}

function objectsOf(r: LoadResult) {
  if (!r.ok) throw new Error(r.errors.map((e) => `${e.file}:${e.line}:${e.col} ${e.path}: ${e.message}`).join('\n'));
  return r.objects;
}

function policySpec(r: LoadResult): ImagePolicySpec {
  const object = objectsOf(r)[0]!.object;
  if (object.kind !== 'ImagePolicy') throw new Error(`expected an ImagePolicy, got ${object.kind}`);
  return object.spec;
}

describe('valid manifests', () => {
  it('loads the example from the spec with both duration forms, keep and nodeSelector', () => {
    const [one, ...rest] = objectsOf(parseManifestText(POLICY, 'a.yaml'));
    expect(rest).toEqual([]);
    expect(one!.source).toEqual({ file: 'a.yaml', line: 1, col: 1 });
    expect(one!.doc).toBe(0);
    const spec = policySpec(parseManifestText(POLICY, 'a.yaml'));
    expect(spec.removal).toEqual([
      { imageName: 'registry.local/app:1.*', deleteAfter: '30m', agentDownloadedOnly: true },
      { imageName: '*/sensor:*', deleteAfterMinutes: 30 },
    ]);
    expect(spec.keep).toEqual(['registry.local/base:*']);
    expect(spec.nodeSelector?.matchExpressions).toEqual([{ key: 'arch', operator: 'In', values: ['arm64'] }]);
  });

  it('loads several documents, skips empty ones and counts document indexes in the file', () => {
    const text = `# comment\n---\n${named('a')}---\n---\n# only a comment\n---\n${named('b')}`;
    const objects = objectsOf(parseManifestText(text, 'multi.yaml'));
    expect(objects.map((o) => [o.object.metadata.name, o.doc, o.source.line])).toEqual([
      ['a', 0, 3],
      ['b', 3, 21],
    ]);
  });

  it('accepts a byte order mark, CRLF line endings, and JSON', () => {
    const bom = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(POLICY)]);
    expect(objectsOf(parseManifestText(bom, 'bom.yaml'))).toHaveLength(1);
    expect(objectsOf(parseManifestText(POLICY.replace(/\n/g, '\r\n'), 'crlf.yaml'))).toHaveLength(1);
    const json = JSON.stringify({ apiVersion: 'imagectl.dev/v1alpha1', kind: 'ImagePolicy', metadata: { name: 'j' }, spec: { keep: ['a:*'] } }, null, 2);
    expect(policySpec(parseManifestText(json, 'p.json')).keep).toEqual(['a:*']);
  });

  it('accepts a few aliases', () => {
    const text = POLICY.replace('labels: {site', 'labels: &site {site').replace('matchLabels: {site: plant-7}', 'matchLabels: *site');
    expect(policySpec(parseManifestText(text, 'a.yaml')).nodeSelector?.matchLabels).toEqual({ site: 'plant-7' });
  });
});


function expectErrors(actual: ManifestError[], file: string, expected: Expected[]): void {
  const shown = actual.map((e) => ({ file: e.file, line: e.line, col: e.col, path: e.path, message: e.message }));
  expect(shown).toEqual(
    expected.map(([line, col, path, fragment]) => ({
      file,
      line,
      col,
      path,
      message: typeof fragment === 'string' ? expect.stringContaining(fragment) : expect.stringMatching(fragment),
    })),
  );
}

describe('bad input', () => {
  it('has an expectation for every file in test/bad-input/', async () => {
    expect((await readdir(BAD)).sort()).toEqual(Object.keys(BAD_INPUT).sort());
  });

  it.each(Object.entries(BAD_INPUT))('%s', async (name, expected) => {
    const file = join(BAD, name);
    expectErrors(errorsOf(await loadManifests([file])), file, expected);
  });

  it('reports the same, in the same order, for the whole directory read either way (syncReads, as the CLI does)', async () => {
    const async = await loadManifests([BAD]);
    expect(await loadManifests([BAD], { syncReads: true })).toEqual(async);
    expect(errorsOf(async).length).toBeGreaterThan(Object.keys(BAD_INPUT).length);
  });
});

describe('files, directories and stdin', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'imagectl-load-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('rejects a file over the size cap without parsing it', async () => {
    const big = join(dir, 'huge.yaml');
    await writeFile(big, `# ${'x'.repeat(MAX_FILE_BYTES)}\n`);
    expectErrors(errorsOf(await loadManifests([big])), big, [[1, 1, '', 'file too large']]);
  });

  it('rejects 4 MB of "[" before yaml sees it', () => {
    const text = 'a: ' + '['.repeat(MAX_FILE_BYTES - 10);
    expectErrors(errorsOf(parseManifestText(text, 'brackets.yaml')), 'brackets.yaml', [[1, 68, '', 'nested deeper than 64 levels']]);
  });

  it('rejects a file of more lines and list items than yaml can parse quickly', () => {
    const text = '- 1\n'.repeat(MAX_FILE_BYTES / 4 - 1);
    expectErrors(errorsOf(parseManifestText(text, 'lines.yaml')), 'lines.yaml', [[50_001, 4, '', 'more than 50000 lines and list items']]);
  });

  it('reports nesting that overflows yaml\'s composer at the same place whatever the stack size', () => {
    const text = Array.from({ length: 2000 }, (_, i) => `${' '.repeat(i)}k:`).join('\n') + ' x\n';
    const path = Array.from({ length: 64 }, () => 'k').join('.');
    expectErrors(errorsOf(parseManifestText(text, 'deep.yaml')), 'deep.yaml', [[65, 65, path, 'nested deeper than 64 levels']]);
  });

  it('finds a duplicate among 30 000 keys without a quadratic check', () => {
    const keys = Array.from({ length: 30_000 }, (_, i) => `k${i}: v\n`).join('');
    const errors = errorsOf(parseManifestText(`${named('many')}${keys}k5: again\n`, 'keys.yaml'));
    expect(errors).toEqual([expect.objectContaining({ line: 30_015, col: 1, path: 'k5', message: 'duplicate key "k5"' })]);
  });

  it('stops reading an endless stdin past the cap', async () => {
    const endless = new Readable({ read() { this.push(Buffer.alloc(64 * 1024, 0x61)); } });
    const data = await readCapped(endless, MAX_FILE_BYTES);
    expect(data.length).toBe(MAX_FILE_BYTES + 1);
    const r = await loadManifests(['-'], { stdin: async () => data });
    expectErrors(errorsOf(r), '<stdin>', [[1, 1, '', 'file too large']]);
  });

  it('stops reading a device with no end', async () => {
    expectErrors(errorsOf(await loadManifests(['/dev/zero'])), '/dev/zero', [[1, 1, '', 'file too large']]);
    expectErrors(errorsOf(await loadManifests(['/dev/zero'], { syncReads: true })), '/dev/zero', [[1, 1, '', 'file too large']]);
  });

  it('reads stdin for "-", and only once', async () => {
    const stdin = async () => Buffer.from(named('from-stdin'));
    expect(objectsOf(await loadManifests(['-'], { stdin }))[0]!.source.file).toBe('<stdin>');
    expectErrors(errorsOf(await loadManifests(['-', '-'], { stdin })), '-', [[1, 1, '', 'stdin ("-") given more than once']]);
  });

  it('reads the manifests of a directory in name order, subdirectories only with -R', async () => {
    const d = join(dir, 'set');
    await mkdir(join(d, 'sub'), { recursive: true });
    await writeFile(join(d, 'b.yml'), named('b'));
    await writeFile(join(d, 'a.yaml'), named('a'));
    await writeFile(join(d, 'c.json'), JSON.stringify({ apiVersion: 'imagectl.dev/v1alpha1', kind: 'ImagePolicy', metadata: { name: 'c' }, spec: {} }));
    await writeFile(join(d, 'README.md'), '# not a manifest');
    await writeFile(join(d, 'sub', 'd.yaml'), named('d'));
    await symlink(d, join(d, 'sub', 'loop'));
    const names = (r: LoadResult) => objectsOf(r).map((o) => o.object.metadata.name);
    expect(names(await loadManifests([d]))).toEqual(['a', 'b', 'c']);
    expect(names(await loadManifests([d], { syncReads: true }))).toEqual(['a', 'b', 'c']);
    expect(names(await loadManifests([d], { recursive: true }))).toEqual(['a', 'b', 'c', 'd']);
  });

  it('reports a missing path and a directory without manifests', async () => {
    const missing = join(dir, 'nope.yaml');
    const empty = join(dir, 'empty-dir');
    await mkdir(empty);
    const errors = errorsOf(await loadManifests([missing, empty]));
    expect(errors).toEqual([
      { file: missing, line: 1, col: 1, path: '', message: 'no such file or directory' },
      { file: empty, line: 1, col: 1, path: '', message: `no manifests found in ${empty}` },
    ]);
  });

  it('reports every error of every file at once, and duplicates across files', async () => {
    const one = join(dir, 'one.yaml');
    const two = join(dir, 'two.yaml');
    await writeFile(one, named('same'));
    await writeFile(two, `${named('same')}---\n${named('other').replace('"*/sensor:*"', 'sensor')}`);
    const errors = errorsOf(await loadManifests([one, two]));
    expect(errors).toEqual([
      { file: two, line: 3, col: 12, path: 'metadata.name', message: `duplicate ImagePolicy "same": first defined at ${one}:1` },
      { file: two, line: 27, col: 7, path: 'spec.removal[1].imageName', message: expect.stringContaining('tag required') },
    ]);
  });
});
