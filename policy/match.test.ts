import { describe, expect, it } from 'vitest';
import type { ImagePolicy } from '../crd/imagepolicy.js';
import { candidates, compilePattern, compilePolicies, decide, matchingRules } from './match.js';
import { selectsNode } from './nodeSelector.js';
import { formatDuration, parseDuration } from './duration.js';

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
