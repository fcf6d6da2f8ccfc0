import { describe, expect, it } from 'vitest';
import { alignRows, parseCustomColumns, parseCustomColumnsFile, sortItems } from './columns.js';
import { parseFormat, render } from './printer.js';
import { resourceOf } from './resources.js';

const policy = (name: string, gen: number) => ({ apiVersion: 'imagectl.dev/v1alpha1', kind: 'ImagePolicy', metadata: { name, generation: gen }, spec: { removal: [{ imageName: 'a:*', deleteAfter: `${gen}h` }] }, status: { appliesToNode: true, reason: 'no nodeSelector' } });
const image = (n: number) => ({ apiVersion: 'imagectl.dev/v1alpha1', kind: 'Image', metadata: { name: `sha256:${String(n).repeat(64)}` }, status: { state: 'idle', tags: [`a:${n}`], repoDigests: [], lastUsedAt: null, agentDownloaded: false, downloadedAt: null, rule: null, removeAt: null, protectedBy: 'no rule matches', usedBy: [], sizeBytes: 1000 * n, firstSeenAt: '2026-01-01T00:00:00.000Z', removedAt: null, reason: '', lastError: null } });
const policies = { resource: resourceOf('policies'), items: [policy('b', 1), policy('a', 3)] };
const images = { resource: resourceOf('images'), items: [image(2), image(1)] };

describe('get output', () => {
  it('-o name, json and jsonpath: a list, or the one object asked for by name', async () => {
    expect(await render([policies, images], { format: parseFormat('name') })).toBe(`imagepolicy/b\nimagepolicy/a\nimage/sha256:${'2'.repeat(64)}\nimage/sha256:${'1'.repeat(64)}\n`);
    expect(JSON.parse(await render([policies], { format: parseFormat('json') }))).toMatchObject({ kind: 'ImagePolicyList', items: [{ metadata: { name: 'b' } }, { metadata: { name: 'a' } }] });
    expect(JSON.parse(await render([policies, images], { format: parseFormat('json') })).kind).toBe('List');
    const one = { resource: policies.resource, items: [policy('a', 3)] };
    expect(await render([one], { format: parseFormat('jsonpath={.kind}'), single: true })).toBe('ImagePolicy');
    expect(await render([one], { format: parseFormat('jsonpath={.kind}') })).toBe('ImagePolicyList');
  });

  it('tables: one per type, the type in the first column when there are several, --no-headers', async () => {
    const both = await render([policies, images], { format: parseFormat(undefined) });
    expect(both).toMatch(/^NAME\s+RULES\s+KEEP\s+APPLIES\s+AGE\nimagepolicy\/b\s+1\s+0\s+yes\s+\S+\nimagepolicy\/a\s.*\n\nIMAGE ID\s+TAGS.*\nimage\/222222222222\s+a:2\s.*\nimage\/111111111111\s+a:1\s.*\n$/);
    expect(await render([policies], { format: parseFormat(undefined), noHeaders: true })).toMatch(/^b\s+1\s+0\s+yes\s+\S+\na\s+1\s+0\s+yes\s+\S+\n$/);
  });

  it('custom-columns, --sort-by (numbers as numbers)', async () => {
    const cc = parseFormat('custom-columns=NAME:.metadata.name,AFTER:{.spec.removal[*].deleteAfter},NONE:.status.nothing');
    expect(await render([policies], { format: cc, sortBy: '.metadata.name' })).toBe('NAME   AFTER   NONE\na      3h      <none>\nb      1h      <none>\n');
    expect(sortItems([{ n: 10 }, { n: 9 }, {}, { n: 100 }], '.n')).toEqual([{}, { n: 9 }, { n: 10 }, { n: 100 }]);
    expect(sortItems([{ s: 'b' }, { s: 'a' }], '{.s}')).toEqual([{ s: 'a' }, { s: 'b' }]);
    expect(parseCustomColumnsFile('NAME   GEN\n.metadata.name   metadata.generation\n', 'f')).toEqual([{ header: 'NAME', path: '.metadata.name' }, { header: 'GEN', path: '.metadata.generation' }]);
    expect(alignRows([['a', 'bb'], ['ccc', 'd']])).toBe('a     bb\nccc   d\n');
  });

  it('refuses formats and columns it cannot print, before printing', () => {
    expect(() => parseFormat('go-template={{.x}}')).toThrow('allowed formats are');
    expect(() => parseFormat('jsonpath=')).toThrow('no template given');
    expect(() => parseCustomColumns('NAME')).toThrow('expected <header>:<json-path-expr>');
    expect(() => parseCustomColumns('NAME:{range .x}')).toThrow();
    expect(() => parseCustomColumnsFile('ONE\n', 'f')).toThrow('want 2 lines');
  });
});
