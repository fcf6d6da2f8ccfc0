import { Minimatch } from 'minimatch';
import { describe, expect, it } from 'vitest';
import type { ImagePolicy } from './type.js';
import { normalizePattern } from '../fields/reference.js';
import { candidates, compilePattern, compilePolicies, decide, literalPrefix, matchingRules } from './match.js';
import { selectsNode } from './node-selector.js';
import { formatDuration, parseDuration } from '../fields/duration.js';

const policy = (name: string, spec: ImagePolicy['spec']): ImagePolicy => ({ apiVersion: 'imagectl.dev/v1alpha1', kind: 'ImagePolicy', metadata: { name }, spec });
const img = (tags: string[], agentDownloaded = false, repoDigests: string[] = []) => ({ tags, repoDigests, agentDownloaded });
const matches = (pattern: string, ref: string) => compilePattern(pattern).test(candidates([ref], []));

describe('glob matching over normalized references', () => {
  it.each([
    ['nginx:*', 'nginx:1', true],
    ['nginx:*', 'docker.io/library/nginx:1', true],
    ['docker.io/library/nginx:*', 'nginx:1.25', true],
    ['nginx:1', 'nginx:1', true],
    ['nginx:1', 'nginx:10', false],
    ['fixture/*:*', 'fixture/a:1', true],
    ['fixture/*:*', 'other/a:1', false],
    ['fixture/*:*', 'localhost:5000/fixture/a:1', false],
    ['registry.local/app:1.*', 'registry.local/app:1.4', true],
    ['registry.local/app:1.*', 'registry.local/app:2.0', false],
    ['registry.local/app:1.*', 'app:1.4', false],
    ['*/sensor:*', 'registry.local/sensor:1', true],
    ['*/sensor:*', 'registry.local/team/sensor:1', false],
    ['**/sensor:*', 'registry.local/team/sensor:1', true],
    ['localhost:5000/*:*', 'localhost:5000/app:1', true],
    ['localhost:5000/*:*', 'localhost:5001/app:1', false],
    ['*', 'anything/at/all:1', true],
    ['*:*', 'nginx:1', true],
    ['app:{1,2}', 'app:2', true],
    ['app:[0-9]*', 'app:7-slim', true],
    // the README's table
    ['nginx:*', 'bitnami/nginx:1', false],
    ['fixture/*:*', 'docker.io/fixture/b:x', true],
    ['*/sensor:*', 'fixture/sensor:1', true],
    ['**/sensor:*', 'sensor:1', true],
    ['**/sensor:*', 'registry.local/sensors:1', false],
    ['localhost:5000/**', 'localhost:5000/a/b:1', true],
    ['app:{1,2}', 'app:3', false],
  ])('%s vs %s → %s', (p, ref, want) => expect(matches(p, ref)).toBe(want));

  it('matches a digest reference', () => {
    const d = `localhost:5000/app@sha256:${'a'.repeat(64)}`;
    expect(compilePattern('localhost:5000/app@sha256:*').test(candidates([], [d]))).toBe(true);
  });

  it('ignores <none> placeholders; only * matches an untagged image', () => {
    expect(candidates(['<none>:<none>'], ['<none>@<none>'])).toEqual([]);
    const c = compilePolicies([policy('p', { removal: [{ imageName: '*:*', deleteAfter: '1m' }] })]);
    expect(decide(c, img([])).rule).toBeNull();
    const all = compilePolicies([policy('p', { removal: [{ imageName: '*', deleteAfter: '1m' }] })]);
    expect(decide(all, img([])).rule?.id).toBe('p/removal[0]');
  });
});

describe('decide', () => {
  const c = compilePolicies([
    policy('slow', { removal: [{ imageName: 'fixture/*:*', deleteAfter: '10s' }] }),
    policy('fast', { removal: [{ imageName: 'fixture/a:*', deleteAfterMinutes: 0.05 }, { imageName: 'own/*:*', deleteAfter: '1s', agentDownloadedOnly: true }] }),
    policy('guard', { keep: ['fixture/base:*'], removal: [] }),
  ]);

  it('the most aggressive rule wins across policies', () => {
    expect(decide(c, img(['fixture/a:1'])).rule?.id).toBe('fast/removal[0]');
    expect(decide(c, img(['fixture/a:1'])).rule?.deleteAfter).toBe('3s');
    expect(decide(c, img(['fixture/b:1'])).rule?.id).toBe('slow/removal[0]');
    expect(matchingRules(c, img(['fixture/a:1'])).map((r) => r.id)).toEqual(['fast/removal[0]', 'slow/removal[0]']);
  });

  it('a verdict cached by image ID follows the image when its references or ownership change', () => {
    const id = 'sha256:cafe';
    expect(decide(c, { id, ...img(['fixture/a:1']) }).rule?.id).toBe('fast/removal[0]');
    expect(decide(c, { id, ...img(['fixture/a:1']) }).rule?.id).toBe('fast/removal[0]');
    expect(decide(c, { id, ...img(['fixture/base:1']) }).protectedBy).toBe('keep guard/keep[0] (fixture/base:*)');
    expect(decide(c, { id, ...img(['own/x:1']) }).rule).toBeNull();
    expect(decide(c, { id, ...img(['own/x:1'], true) }).rule?.id).toBe('fast/removal[1]');
    expect(decide(c, { id, ...img(['fixture/b:1']) }, new Map([['docker.io/fixture/b:1', 'web']])).protectedBy).toBe('workload web');
    expect(decide(c, { id, ...img(['fixture/b:1']) }).protectedBy).toBeNull();
  });

  it('any tag of the image may match', () => {
    expect(decide(c, img(['zzz:1', 'fixture/a:2'])).rule?.id).toBe('fast/removal[0]');
  });

  it('agentDownloadedOnly rules skip discovered images', () => {
    expect(decide(c, img(['own/x:1'])).rule).toBeNull();
    expect(decide(c, img(['own/x:1'])).protectedBy).toBe('no rule matches');
    expect(decide(c, img(['own/x:1'], true)).rule?.id).toBe('fast/removal[1]');
  });

  it('keep protects an image even when a rule matches', () => {
    const v = decide(c, img(['fixture/base:1']));
    expect(v.rule?.id).toBe('slow/removal[0]');
    expect(v.protectedBy).toBe('keep guard/keep[0] (fixture/base:*)');
  });

  it('a workload reference protects the image', () => {
    const v = decide(c, img(['fixture/b:1']), new Map([['docker.io/fixture/b:1', 'reader']]));
    expect(v.protectedBy).toBe('workload reader');
  });
});

describe('nodeSelector', () => {
  const labels = { site: 'plant-7', arch: 'arm64' };
  it.each([
    [undefined, true],
    [{ matchLabels: { site: 'plant-7' } }, true],
    [{ matchLabels: { site: 'plant-8' } }, false],
    [{ matchExpressions: [{ key: 'arch', operator: 'In' as const, values: ['arm64', 'amd64'] }] }, true],
    [{ matchExpressions: [{ key: 'arch', operator: 'NotIn' as const, values: ['arm64'] }] }, false],
    [{ matchExpressions: [{ key: 'gpu', operator: 'NotIn' as const, values: ['x'] }] }, true],
    [{ matchExpressions: [{ key: 'site', operator: 'Exists' as const }] }, true],
    [{ matchExpressions: [{ key: 'gpu', operator: 'Exists' as const }] }, false],
    [{ matchExpressions: [{ key: 'gpu', operator: 'DoesNotExist' as const }] }, true],
    [{ matchLabels: { site: 'plant-7' }, matchExpressions: [{ key: 'arch', operator: 'DoesNotExist' as const }] }, false],
  ])('%j → %s', (sel, want) => expect(selectsNode(sel, labels).matches).toBe(want));

  it('says what decided it', () => {
    expect(selectsNode({ matchLabels: { site: 'x' } }, labels).reason).toBe('matchLabels site=x: node has site=plant-7');
  });
});

describe('durations', () => {
  it.each([['90s', 90_000], ['30m', 1_800_000], ['2h', 7_200_000], ['1d', 86_400_000], ['1h30m', 5_400_000], ['500ms', 500]])('%s', (s, ms) => {
    expect(parseDuration(s)).toEqual({ ok: true, ms });
  });
  it.each(['0s', '-5m', '5', 'm', '5 minutes', '11000d', ''])('rejects %j', (s) => expect(parseDuration(s).ok).toBe(false));
  it('formats like Go', () => {
    expect(formatDuration(3000)).toBe('3s');
    expect(formatDuration(1_800_000)).toBe('30m0s');
    expect(formatDuration(3_600_000)).toBe('1h0m0s');
    expect(formatDuration(1500)).toBe('1.5s');
    expect(formatDuration(250)).toBe('250ms');
  });
});

describe('indexed matching gives the same verdicts as testing every rule', () => {
  const naiveTest = (pattern: string, cands: readonly string[]) => {
    if (pattern === '*' || pattern === '**') return true;
    const opts = { dot: true, nonegate: true, nocomment: true, noext: false };
    const variants = [...new Set([pattern, normalizePattern(pattern)])].map((p) => new Minimatch(p, opts));
    return cands.some((c) => variants.some((m) => m.match(c)));
  };

  it.each([
    ['registry.local/app:1.*', 'registry.local/app:1.'],
    ['nginx:1', 'nginx:1'],
    ['*/sensor:*', ''],
    ['**/sensor:*', ''],
    ['localhost:5000/**', 'localhost:5000'],
    ['registry.local/**/sensor:*', 'registry.local'],
    ['app:{1,2}', 'app:'],
    ['x/@(a|b):1', 'x/'],
    ['localhost:5000/app@sha256:*', 'localhost:5000/app'],
    ['a//b:*', ''],
    ['a/../b:*', ''],
    ['a/./b:*', ''],
    ['a/[bc]:1', 'a/'],
    ['a\\*:1', 'a'],
  ])('literal prefix of %s is %j', (p, want) => expect(literalPrefix(p)).toBe(want));

  it('agrees with an exhaustive match on random patterns and references', () => {
    let seed = 7;
    const r = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const pick = <T>(xs: readonly T[]) => xs[Math.floor(r() * xs.length)]!;
    const repos = ['nginx', 'library/nginx', 'docker.io/library/nginx', 'fixture/a', 'registry.local/app', 'registry.local/team/sensor', 'localhost:5000/app', 'localhost:5000/a/b', 'sensor', 'a//b', 'x/../a', 'a/b', 'b', 'a'];
    const tags = ['1', '1.4', '2.0', 'latest', '7-slim'];
    const patterns = [
      ...repos.flatMap((x) => [`${x}:*`, `${x}:1.*`, `${x}:1`, `${x}:{1,2}`, `${x}:[0-9]*`, `${x}/**`, `${x}@sha256:*`]),
      '*', '**', '*:*', '*/sensor:*', '**/sensor:*', '**/*:latest', 'registry.local/**/sensor:*', '{nginx,fixture/a}:*', 'a//b:*', 'a/../b:*', 'x/../a:*',
      'localhost:5000/*/b:*', '*/*:1', 'docker.io/**', '+(nginx|sensor):1', 'a\\*:1',
    ];
    const pols: ImagePolicy[] = [];
    for (let p = 0; p < 6; p++) {
      pols.push(policy(`p${p}`, {
        removal: Array.from({ length: 12 }, () => ({ imageName: pick(patterns), deleteAfter: `${1 + Math.floor(r() * 50)}m`, agentDownloadedOnly: r() < 0.2 })),
        keep: r() < 0.5 ? [pick(patterns)] : [],
      }));
    }
    const c = compilePolicies(pols);
    for (let i = 0; i < 400; i++) {
      const subject = img(Array.from({ length: 1 + Math.floor(r() * 2) }, () => `${pick(repos)}:${pick(tags)}`), r() < 0.5,
        r() < 0.3 ? [`${pick(repos)}@sha256:${'b'.repeat(64)}`] : []);
      const cands = candidates(subject.tags, subject.repoDigests);
      const wantRules = c.rules.filter((x) => (!x.agentDownloadedOnly || subject.agentDownloaded) && naiveTest(x.pattern.source, cands));
      const wantKeep = c.keep.find((k) => naiveTest(k.pattern.source, cands));
      expect(matchingRules(c, subject).map((x) => x.id)).toEqual(wantRules.map((x) => x.id));
      const v = decide(c, subject);
      expect(v.rule?.id ?? null).toBe(wantRules[0]?.id ?? null);
      expect(v.protectedBy).toBe(wantKeep ? `keep ${wantKeep.id} (${wantKeep.pattern.source})` : wantRules[0] ? null : 'no rule matches');
      // a second decision comes from the cache and must be the same
      expect(decide(c, subject)).toEqual(v);
    }
  });

  it('compiles each glob once and reuses the compilation of unchanged policy objects', () => {
    expect(compilePattern('fixture/*:*')).toBe(compilePattern('fixture/*:*'));
    const pols = [policy('p', { removal: [{ imageName: 'fixture/*:*', deleteAfter: '1m' }] })];
    const c1 = compilePolicies(pols);
    expect(compilePolicies([...pols])).toBe(c1);
    // an edited policy object, or another one, compiles anew
    pols[0]!.spec.removal![0]!.deleteAfter = '2m';
    const c2 = compilePolicies(pols);
    expect(c2).not.toBe(c1);
    expect(c2.rules[0]!.deleteAfterMs).toBe(120_000);
    expect(compilePolicies([policy('p', { removal: [{ imageName: 'fixture/*:*', deleteAfter: '2m' }] })])).not.toBe(c2);
  });

  it('a cached verdict still honours the workload references of each call', () => {
    const c = compilePolicies([policy('p', { removal: [{ imageName: 'fixture/*:*', deleteAfter: '1m' }] })]);
    expect(decide(c, img(['fixture/b:1'])).protectedBy).toBeNull();
    expect(decide(c, img(['fixture/b:1']), new Map([['docker.io/fixture/b:1', 'reader']])).protectedBy).toBe('workload reader');
    expect(decide(c, img(['fixture/b:1'])).protectedBy).toBeNull();
  });

  it('hand-made compiled policies (no prefixes) are tested against every rule', () => {
    const rule = { id: 'h/removal[0]', policy: 'h', index: 0, deleteAfterMs: 1000, deleteAfter: '1s', agentDownloadedOnly: false, pattern: { source: 'x', test: (cs: readonly string[]) => cs.includes('docker.io/library/x:1') } };
    expect(decide({ rules: [rule], keep: [] }, img(['x:1'])).rule?.id).toBe('h/removal[0]');
  });
});
