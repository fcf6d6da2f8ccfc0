/**
 * kubectl parity on a real engine: apply (dry runs, -o, ApplySet prune), diff exit codes, delete,
 * get -l, describe (what decided "Applies to this node", Events), Open Horizon import with
 * constraints, properties and enabled as the agent really evaluates them, explain, new and crds.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type Dockerode from 'dockerode';
import { parseAllDocuments } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applysetId } from '../crd/apply/applyset.js';
import { AgentProcess, waitFor } from './helpers/agent.js';
import { stackInfo } from './stack/context.js';
import { buildFixture, dockerFor, emptyEngine } from './stack/fixtures.js';

const stack = stackInfo();
const dir = mkdtempSync(join(tmpdir(), 'ictl-kp-'));
const OH = resolve(import.meta.dirname, '../manifests/openhorizon');
let docker: Dockerode;
let agent: AgentProcess;

function file(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

function policy(name: string, o: { image?: string; after?: string; labels?: Record<string, string>; spec?: string } = {}): string {
  const labels = o.labels ? `\n  labels: ${JSON.stringify(o.labels)}` : '';
  return file(`${name}.yaml`, `apiVersion: imagectl.dev/v1alpha1\nkind: ImagePolicy\nmetadata:\n  name: ${name}${labels}\nspec:\n${o.spec ?? ''}  removal:\n    - imageName: "${o.image ?? `fixture/${name}:*`}"\n      deleteAfter: ${o.after ?? '1h'}\n`);
}

const cli = (...args: string[]) => agent.cli(args);
const names = async (...sel: string[]) => (await cli('get', 'policies', ...sel, '-o', 'name')).stdout.split('\n').filter(Boolean).map((l) => l.replace('imagepolicy/', ''));
type Image = { metadata: { name: string }; status: { tags: string[]; rule: string | null; protectedBy: string | null } };
const applies = async (name: string) => (await cli('describe', 'policy', name)).stdout.match(/^Applies to this node:\s+(.*)$/m)?.[1];
const image = async (tag: string) => (await agent.json<{ items: Image[] }>(['get', 'images', '-o', 'json'])).items.find((i) => i.status.tags.includes(tag));

beforeAll(async () => {
  docker = dockerFor(stack);
  await emptyEngine(docker);
  agent = new AgentProcess(stack, AgentProcess.tempStateDir(), [
    '--node-label', 'site=plant-7', '--node-label', 'openhorizon.arch=amd64', '--node-label', 'cores=4',
    '--node-constraint', 'purpose == image-cleanup',
  ]);
  await agent.start();
});

afterAll(async () => {
  await agent?.dispose();
  rmSync(dir, { recursive: true, force: true });
});

describe('apply', () => {
  it('--dry-run=client and =server change nothing; the server dry run shows the plan and the workloads', async () => {
    await buildFixture(docker, 'fixture/dry:1');
    await waitFor('the agent to see fixture/dry:1', async () => image('fixture/dry:1'));
    const p = policy('dry', { after: '5m' });
    const wl = file('dry-wl.yaml', 'apiVersion: imagectl.dev/v1alpha1\nkind: Workload\nmetadata:\n  name: dry-wl\nspec:\n  image: fixture/absent:1\n  imagePullPolicy: Never\n');
    const client = await cli('apply', '--dry-run=client', '-f', p, '-f', wl);
    expect(client.stdout).toBe('imagepolicy/dry created (dry run)\nworkload/dry-wl created (dry run)\n');
    const server = await cli('apply', '--dry-run=server', '-f', p, '-f', wl);
    expect(server.code).toBe(0);
    expect(server.stdout).toContain('imagepolicy/dry created (server dry run)\nworkload/dry-wl created (server dry run)\n');
    expect(server.stdout).toContain('plan: 0 image(s) would be removed now, 1 later');
    expect(server.stdout).toMatch(/remove at \S+ {2}fixture\/dry:1 {2}\(dry\/removal\[0\]\)/);
    expect(server.stdout).toContain('workload/dry-wl: container create, image missing (new workload; imagePullPolicy Never and fixture/absent:1 is not present: the workload would fail)');
    const json = JSON.parse((await cli('apply', '--dry-run=server', '-o', 'json', '-f', p)).stdout) as { plan: { items: { tags: string[]; when: string; rule: string }[] } };
    expect(json.plan.items.find((i) => i.tags.includes('fixture/dry:1'))).toMatchObject({ when: 'later', rule: 'dry/removal[0]' });
    const none = await cli('get', 'policies');
    expect([none.code, none.stdout, none.stderr]).toEqual([0, '', 'No resources found\n']);
    expect((await cli('get', 'workloads')).stderr).toBe('No resources found\n');
    expect((await image('fixture/dry:1'))!.status.rule).toBeNull();
  });

  it('prunes ApplySet-style: only objects of the same set that left the input; --prune needs --applyset', async () => {
    const a = policy('set-a');
    const b = policy('set-b');
    expect((await cli('apply', '--prune', '--applyset', 's1', '-f', a, '-f', b)).stdout).toBe('imagepolicy/set-a created\nimagepolicy/set-b created\n');
    expect((await cli('apply', '-f', policy('loose'))).stdout).toBe('imagepolicy/loose created\n');
    expect((await cli('apply', '--applyset', 's2', '--prune', '-f', policy('other-set'))).stdout).toBe('imagepolicy/other-set created\n');

    expect((await cli('apply', '--dry-run=client', '--prune', '--applyset', 's1', '-f', a)).stdout).toBe('imagepolicy/set-a unchanged (dry run)\nimagepolicy/set-b pruned (dry run)\n');
    expect((await cli('apply', '--dry-run=server', '--prune', '--applyset', 's1', '-f', a)).stdout).toMatch(/^imagepolicy\/set-a unchanged \(server dry run\)\nimagepolicy\/set-b pruned \(server dry run\)\n/);
    expect(await names()).toEqual(['loose', 'other-set', 'set-a', 'set-b']);
    expect((await cli('apply', '--prune', '--applyset', 's1', '-f', a)).stdout).toBe('imagepolicy/set-a unchanged\nimagepolicy/set-b pruned\n');
    expect(await names()).toEqual(['loose', 'other-set', 'set-a']);
    expect(await names('-l', `imagectl.dev/applyset=${applysetId('s1')}`)).toEqual(['set-a']);

    const noSet = await cli('apply', '--prune', '-f', a);
    expect(noSet.code).not.toBe(0);
    expect(noSet.stderr).toBe('error: --prune needs --applyset NAME: imagectl prunes only the objects of one applyset\n');
    const takeover = await cli('apply', '--prune', '--applyset', 's2', '-f', a);
    expect(takeover.code).not.toBe(0);
    expect(takeover.stderr).toContain(`imagepolicy/set-a belongs to another applyset (${applysetId('s1')})`);
    expect(await names()).toEqual(['loose', 'other-set', 'set-a']);
  });

  it('-o name, json and yaml', async () => {
    const a = policy('set-a');
    expect((await cli('apply', '--applyset', 's1', '-o', 'name', '-f', a)).stdout).toBe('imagepolicy/set-a\n');
    const j = JSON.parse((await cli('apply', '--applyset', 's1', '-o', 'json', '-f', a)).stdout) as { kind: string; results: unknown[] };
    expect(j).toMatchObject({ kind: 'List', results: [{ kind: 'ImagePolicy', name: 'set-a', action: 'unchanged' }] });
    expect((await cli('apply', '--applyset', 's1', '-o', 'yaml', '-f', a)).stdout).toContain('action: unchanged');
  });
});

describe('diff', () => {
  it('exits 0 without differences, 1 with a unified diff, and changes nothing', async () => {
    const same = await cli('diff', '--applyset', 's1', '-f', policy('set-a'));
    expect([same.code, same.stdout, same.stderr]).toEqual([0, '', '']);
    const changed = await cli('diff', '--applyset', 's1', '-f', policy('set-a', { after: '2h' }), '-f', policy('brand-new'));
    expect(changed.code).toBe(1);
    expect(changed.stdout).toContain('diff -u -N live/imagepolicy/set-a merged/imagepolicy/set-a\n--- live/imagepolicy/set-a\n+++ merged/imagepolicy/set-a\n@@ ');
    expect(changed.stdout).toContain('\n-  generation: 1\n+  generation: 2\n');
    expect(changed.stdout).toContain('\n-      deleteAfter: 1h\n+      deleteAfter: 2h\n');
    expect(changed.stdout).toMatch(/--- live\/imagepolicy\/brand-new\n\+\+\+ merged\/imagepolicy\/brand-new\n@@ -0,0 \+1,\d+ @@\n\+apiVersion: imagectl.dev\/v1alpha1\n\+kind: ImagePolicy\n/);
    const pruned = await cli('diff', '--prune', '--applyset', 's1', '-f', policy('brand-new'));
    expect(pruned.code).toBe(1);
    expect(pruned.stdout).toMatch(/--- live\/imagepolicy\/set-a\n\+\+\+ merged\/imagepolicy\/set-a\n@@ -1,\d+ \+0,0 @@\n-apiVersion/);
    expect(await names()).toEqual(['loose', 'other-set', 'set-a']);
    expect((await cli('get', 'policy', 'set-a', '-o', 'yaml')).stdout).toContain('deleteAfter: 1h');
  });

  it('shows a 2-line change in a 2010-line object as a few small hunks, not a replacement of the whole object', async () => {
    // 1000 keep entries (the schema's most) and 500 properties of two lines each
    const keep = (changed: Record<number, string> = {}) => Array.from({ length: 1000 }, (_, i) => `    - "fixture/keep-${changed[i] ?? i}:*"\n`).join('');
    const props = Array.from({ length: 500 }, (_, i) => `    - {name: p${i}, value: v${i}}\n`).join('');
    const big = (changed?: Record<number, string>) => policy('big', { spec: `  keep:\n${keep(changed)}  properties:\n${props}` });
    expect((await cli('apply', '-f', big())).code).toBe(0);
    const live = (await cli('get', 'policy', 'big', '-o', 'yaml')).stdout;
    expect(live.split('\n').length).toBeGreaterThanOrEqual(2010);
    // the first and the last entry: the lines between them are too many for a quadratic table
    const d = await cli('diff', '-f', big({ 0: 'first', 999: 'last' }));
    expect(d.code).toBe(1);
    expect(d.stdout.startsWith('diff -u -N live/imagepolicy/big merged/imagepolicy/big\n--- live/imagepolicy/big\n+++ merged/imagepolicy/big\n@@ ')).toBe(true);
    // the two entries, and the generation the change raises (near the first: one hunk for both)
    expect(d.stdout.split('\n').filter((l) => /^[-+][^-+]/.test(l))).toEqual([
      '-  generation: 1', '+  generation: 2',
      '-    - fixture/keep-0:*', '+    - fixture/keep-first:*',
      '-    - fixture/keep-999:*', '+    - fixture/keep-last:*',
    ]);
    expect(d.stdout.match(/^@@ /gm)).toHaveLength(2);
    expect(d.stdout.split('\n').length).toBeLessThan(40);
    expect((await cli('get', 'policy', 'big', '-o', 'yaml')).stdout).toBe(live);
    expect((await cli('delete', 'policy', 'big')).code).toBe(0);
  });

  it('exits 2 on errors: a bad manifest, a bad flag, an unreachable agent', async () => {
    const bad = await cli('diff', '-f', policy('bad', { after: 'soon' }));
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/bad\.yaml:8:7 spec\.removal\[0\]\.deleteAfter: invalid duration "soon"/);
    expect(bad.stderr).toMatch(/error: 1 problem found; nothing was compared\n$/);
    expect((await cli('diff', '--bogus')).code).toBe(2);
    expect((await cli('diff')).code).toBe(2);
    const away = await cli('--socket', join(dir, 'nobody.sock'), 'diff', '-f', policy('set-a'));
    expect(away.code).toBe(2);
    expect(away.stderr).toContain('cannot reach the imagectl agent');
  });
});

describe('delete', () => {
  it('deletes by KIND NAME and by -f; a missing object exits 1 unless --ignore-not-found', async () => {
    expect((await cli('delete', 'policy', 'loose')).stdout).toBe('imagepolicy "loose" deleted\n');
    const again = await cli('delete', 'imagepolicy', 'loose');
    expect([again.code, again.stderr]).toEqual([1, 'Error from server (NotFound): imagepolicies "loose" not found\n']);
    const ignored = await cli('delete', 'ip', 'loose', '--ignore-not-found');
    expect([ignored.code, ignored.stdout, ignored.stderr]).toEqual([0, '', '']);
    const badFile = await cli('delete', '-f', policy('other-set', { after: 'soon' }));
    expect([badFile.code, badFile.stdout]).toEqual([1, '']);
    expect(badFile.stderr).toMatch(/error: 1 problem found; nothing was deleted\n$/);
    expect((await cli('delete', '-f', policy('other-set'))).stdout).toBe('imagepolicy "other-set" deleted\n');
    expect(await names()).toEqual(['set-a']);
  });
});

describe('get', () => {
  it('-l selects by labels with kubectl syntax; no match is "No resources found" on stderr with exit 0', async () => {
    for (const [n, labels] of [['sel-a', { group: 'sel', team: 'edge', tier: '1' }], ['sel-b', { group: 'sel', team: 'core' }], ['sel-c', { group: 'sel' }]] as const) {
      expect((await cli('apply', '-f', policy(n, { labels }))).code).toBe(0);
    }
    expect(await names('-l', 'group=sel,team=edge')).toEqual(['sel-a']);
    expect(await names('-l', 'group=sel,team==edge')).toEqual(['sel-a']);
    expect(await names('-l', 'group=sel,team!=edge')).toEqual(['sel-b', 'sel-c']);
    expect(await names('-l', 'group=sel,team in (edge, core)')).toEqual(['sel-a', 'sel-b']);
    expect(await names('-l', 'group=sel,team notin (core)')).toEqual(['sel-a', 'sel-c']);
    expect(await names('-l', 'group=sel,team')).toEqual(['sel-a', 'sel-b']);
    expect(await names('-l', 'group=sel,!team')).toEqual(['sel-c']);
    expect(await names('-l', 'tier>0')).toEqual(['sel-a']);
    const none = await cli('get', 'policies', '-l', 'group=nothing');
    expect([none.code, none.stdout, none.stderr]).toEqual([0, '', 'No resources found\n']);
    const yaml = await cli('get', 'policies', '-l', 'group=sel', '-o', 'yaml');
    expect(yaml.stdout).toMatch(/^apiVersion: v1\nkind: ImagePolicyList\nitems:\n/);
    expect((await cli('get', 'policies', '-l', 'group=sel', '-o', 'wide')).stdout).toMatch(/^NAME\s+RULES\s+KEEP\s+APPLIES\s+AGE\s+SELECTOR REASON\s+LABELS\n/);
    const badSel = await cli('get', 'policies', '-l', 'team in (a');
    expect(badSel.code).toBe(1);
    expect(badSel.stderr).toContain('unable to parse requirement');
    const missing = await cli('get', 'policy', 'sel-zzz');
    expect([missing.code, missing.stderr]).toEqual([1, 'Error from server (NotFound): imagepolicies "sel-zzz" not found\n']);
  });
});

describe('describe policy', () => {
  it('says whether it applies to this node and which selector, constraint or enabled flag decided', async () => {
    await cli('apply', '-f', policy('sel-site', { spec: '  nodeSelector:\n    matchLabels: {site: plant-8}\n' }));
    await cli('apply', '-f', policy('off', { spec: '  enabled: false\n' }));
    await cli('apply', '-f', policy('big-nodes', { spec: '  constraints: ["cores >= 8"]\n' }));
    await cli('apply', '-f', policy('small-nodes', { spec: '  constraints: ["cores >= 2 && site == plant-7"]\n' }));
    await cli('apply', '-f', policy('wrong-purpose', { spec: '  properties: [{name: purpose, value: other}]\n' }));
    expect(await applies('sel-site')).toBe('no (nodeSelector matchLabels site=plant-8: node has site=plant-7)');
    expect(await applies('off')).toBe('no (enabled: false (the policy is switched off))');
    expect(await applies('big-nodes')).toBe('no (constraint "cores >= 8" is not satisfied (the node has cores=4))');
    expect(await applies('small-nodes')).toBe('yes (constraints "cores >= 2 && site == plant-7" hold for the node labels)');
    expect(await applies('wrong-purpose')).toBe('no (node constraint "purpose == image-cleanup" is not satisfied (the policy has purpose=other))');
    expect(await applies('sel-a')).toBe('yes (no nodeSelector)');
    const wide = (await cli('get', 'policies', '-o', 'wide')).stdout;
    expect(wide).toMatch(/\noff\s+1\s+0\s+no\s+\S+\s+enabled: false/);
  });

  it('prints aligned fields and ends with an Events table drawn from the audit log', async () => {
    const id = await buildFixture(docker, 'fixture/ev:1');
    await cli('apply', '-f', policy('ev', { after: '1s' }));
    await waitFor('fixture/ev:1 to be removed', async () => docker.getImage(id).inspect().then(() => false, () => true), 10_000);
    const out = (await cli('describe', 'policy', 'ev')).stdout;
    const head = out.slice(0, out.indexOf('Removal Rules:')).trimEnd().split('\n');
    expect(head.length).toBeGreaterThanOrEqual(5);
    expect(new Set(head.map((l) => /^[^:]+:\s+/.exec(l)![0].length)).size).toBe(1); // values start in one column
    expect(out).toMatch(/^Name:\s+ev$/m);
    expect(out).toMatch(/Events:\n\s+AGE\s+TRANSITION\s+EVENT\s+ACTOR\s+REASON\n/);
    expect(out).toMatch(/idle -> removable .*rule ev\/removal\[0\]/);
    expect(out).toMatch(/removable -> removed .*ev\/removal\[0\]/);
    expect(out.trimEnd().split('\n').at(-1)).toMatch(/removable -> removed/);
    expect((await cli('describe', 'policy', 'sel-a')).stdout).toMatch(/Events:\s+<none>\n$/);
  });
});

describe('Open Horizon import', () => {
  it('applies an NMP in the design form, named after its file, and describe says what decided', async () => {
    const r = await cli('apply', '-f', join(OH, 'plant-7.json'));
    expect(r.stdout).toBe('imagepolicy/plant-7 created\n');
    const out = (await cli('describe', 'policy', 'plant-7')).stdout;
    expect(out).toMatch(/^Applies to this node:\s+yes \(enabled: true; constraints "site == plant-7 && openhorizon\.arch in \\"arm64,amd64\\"" hold for the node labels; the node constraints hold for the policy properties\)$/m);
    expect(out).toMatch(/^Enabled:\s+true$/m);
    expect(out).toMatch(/^Properties:\s+purpose=image-cleanup \(string\)$/m);
    expect(out).toMatch(/^Annotations:\s+imagectl\.dev\/source=openhorizon/m);
    expect(out).toMatch(/plant-7\/removal\[0\]\s+registry\.local\/app:1\.\*\s+30m\s+true\n/);
    const sensors = await cli('apply', '-f', join(OH, 'sensors.yaml'));
    expect(sensors.stdout).toBe('imagepolicy/sensors created\n');
    expect(await applies('sensors')).toBe('no (patterns [myorg/sensors]: the node has no pattern (label openhorizon.pattern))');
    expect((await cli('delete', 'policy', 'plant-7', 'sensors')).code).toBe(0);
  });

  it('needs --name on stdin, and rejects an upgrade policy next to an image policy', async () => {
    const nmp = readFileSync(join(OH, 'plant-7.json'), 'utf8');
    const anon = await agent.cli(['apply', '-f', '-'], nmp);
    expect(anon.code).toBe(1);
    expect(anon.stderr).toContain('<stdin>:1:1 an Open Horizon policy read from stdin needs --name NAME');
    expect((await agent.cli(['apply', '--dry-run=client', '--name', 'piped', '-f', '-'], nmp)).stdout).toBe('imagepolicy/piped created (dry run)\n');
    const both = await cli('apply', '-f', resolve(import.meta.dirname, 'bad-input/openhorizon-upgrade-and-image.json'));
    expect(both.code).toBe(1);
    expect(both.stderr).toMatch(/openhorizon-upgrade-and-image\.json:4:3 agentUpgradePolicy: agentUpgradePolicy and image_policy are mutually exclusive/);
  });

  it('the agent takes its rules from exactly the NMPs that apply: enabled (absent is false, as in anax), constraints and properties decide', async () => {
    for (const tag of ['fixture/oh-on:1', 'fixture/oh-off:1', 'fixture/oh-unset:1', 'fixture/oh-far:1', 'fixture/oh-purpose:1']) await buildFixture(docker, tag);
    const nmp = (name: string, image: string, extra: string) =>
      file(`${name}.json`, `{\n  ${extra}"image_policy": {"removal": [{"image_name": "${image}", "delete_after_minutes": 1}]}\n}\n`);
    const purpose = '"properties": [{"name": "purpose", "value": "image-cleanup"}],\n  ';
    const r = await cli('apply',
      '-f', nmp('oh-on', 'fixture/oh-on:*', `"enabled": true, "constraints": ["site == plant-7"], ${purpose}`),
      '-f', nmp('oh-off', 'fixture/oh-off:*', `"enabled": false, ${purpose}`),
      '-f', nmp('oh-unset', 'fixture/oh-unset:*', purpose),
      '-f', nmp('oh-far', 'fixture/oh-far:*', `"enabled": true, "constraints": ["site == plant-9"], ${purpose}`),
      '-f', nmp('oh-purpose', 'fixture/oh-purpose:*', '"enabled": true, '));
    expect(r.stdout).toBe('imagepolicy/oh-on created\nimagepolicy/oh-off created\nimagepolicy/oh-unset created\nimagepolicy/oh-far created\nimagepolicy/oh-purpose created\n');
    await waitFor('fixture/oh-on:1 to get its rule', async () => (await image('fixture/oh-on:1'))?.status.rule === 'oh-on/removal[0]', 10_000);
    expect((await image('fixture/oh-on:1'))?.status).toMatchObject({ protectedBy: null, removeAt: expect.any(String) });
    for (const tag of ['fixture/oh-off:1', 'fixture/oh-unset:1', 'fixture/oh-far:1', 'fixture/oh-purpose:1']) {
      expect((await image(tag))?.status, tag).toMatchObject({ rule: null, protectedBy: 'no rule matches' });
    }
    expect(await applies('oh-unset')).toBe('no (enabled: false (the policy is switched off))');
    expect(await applies('oh-purpose')).toBe('no (node constraint "purpose == image-cleanup" is not satisfied (the policy has no property purpose))');
  });
});

describe('explain, new and crds', () => {
  it('explain prints field docs from the schema', async () => {
    const r = await cli('explain', 'imagepolicy.spec.removal');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('FIELD: removal <[]Object>');
    expect(r.stdout).toContain('  imageName\t<string> -required-\n    Images the rule applies to');
    const bad = await cli('explain', 'imagepolicy.spec.nope');
    expect([bad.code, bad.stderr]).toEqual([1, 'error: field "nope" does not exist in imagepolicy.spec (fields: enabled, nodeSelector, constraints, properties, patterns, removal, keep, diskPressure)\n']);
  });

  it('new prints templates that apply as they are', async () => {
    const p = await cli('new', 'imagepolicy');
    expect((await agent.cli(['apply', '-f', '-'], p.stdout)).stdout).toBe('imagepolicy/cleanup created\n');
    const w = await cli('new', 'workload');
    expect(w.stdout).toContain('refreshImage: 0');
    expect((await agent.cli(['apply', '--dry-run=server', '-f', '-'], w.stdout)).stdout).toMatch(/^workload\/sensor-reader created \(server dry run\)\n/);
    expect((await cli('new', 'pod')).code).toBe(1);
  });

  it('crds prints the CustomResourceDefinitions', async () => {
    const docs = parseAllDocuments((await cli('crds')).stdout).map((d) => d.toJS() as { kind: string; metadata: { name: string } });
    expect(docs.map((d) => [d.kind, d.metadata.name])).toEqual([
      ['CustomResourceDefinition', 'imagepolicies.imagectl.dev'],
      ['CustomResourceDefinition', 'workloads.imagectl.dev'],
    ]);
  });
});

describe('audit', () => {
  it('prints API calls and image transitions as one aligned table', async () => {
    await buildFixture(docker, 'fixture/audit-table:1');
    await waitFor('the agent to see fixture/audit-table:1', async () => image('fixture/audit-table:1'));
    expect((await cli('apply', '-f', policy('audit-table'))).code).toBe(0);
    const out = await cli('audit');
    expect(out.code).toBe(0);
    const lines = out.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^TIME +IMAGE +TRANSITION +TAGS +REASON$/);
    expect(lines.some((l) => / api\.apply -> succeeded \(uid:\d+\) /.test(l))).toBe(true);
    expect(lines.some((l) => / <new> -> \S+ /.test(l))).toBe(true);
    // every column of every row starts where its header does
    const cols = ['IMAGE', 'TRANSITION', 'TAGS', 'REASON'].map((h) => lines[0]!.indexOf(h));
    const misaligned = lines.slice(1).filter((l) => cols.some((c) => l.slice(c - 3, c) !== '   ' || l[c] === ' '));
    expect(misaligned).toEqual([]);
  });
});
