import { describe, expect, it } from 'vitest';
import { formatPath, validateManifest } from '../validate.js';
import { budgetOf, budgetsOf, parseMinAge } from './disk-pressure.js';
import { formatBytes, parseBytes } from '../fields/bytes.js';

const policy = (diskPressure: unknown) => ({
  apiVersion: 'imagectl.dev/v1alpha1', kind: 'ImagePolicy', metadata: { name: 'p' },
  spec: { removal: [{ imageName: 'app:*', deleteAfter: '30d' }], diskPressure },
});
const problems = (dp: unknown) => validateManifest(policy(dp)).map((p) => `${formatPath(p.path)}: ${p.message}`);

describe('spec.diskPressure checks', () => {
  it('bad input (thresholds out of range, low >= high, both forms, negative minAge): clear errors with the JSON path', () => {
    expect(problems({ highThresholdPercent: 120, lowThresholdPercent: 0 })).toEqual([
      'spec.diskPressure.highThresholdPercent: must be at most 99, got 120',
      'spec.diskPressure.lowThresholdPercent: must be at least 1, got 0',
    ]);
    expect(problems({ highThresholdPercent: 80, lowThresholdPercent: 80 })).toEqual(['spec.diskPressure.lowThresholdPercent: lowThresholdPercent 80 must be below highThresholdPercent 80']);
    // a high threshold under the default low one: the default is named
    expect(problems({ highThresholdPercent: 70 })).toEqual(['spec.diskPressure.highThresholdPercent: lowThresholdPercent 80 (the default) must be below highThresholdPercent 70']);
    expect(problems({ lowThresholdPercent: 90 })).toEqual(['spec.diskPressure.lowThresholdPercent: lowThresholdPercent 90 must be below highThresholdPercent 85 (the default)']);
    expect(problems({ lowThresholdPercent: 80, maxImageBytes: '10Gi', targetImageBytes: '8Gi' })[0]).toMatch(/^spec\.diskPressure: set one form of disk budget, not both: lowThresholdPercent/);
    expect(problems({ minAge: '-10m' })).toEqual(['spec.diskPressure.minAge: duration "-10m" is negative: minAge must be zero or more']);
    expect(problems({ minAge: 'soon' })[0]).toMatch(/^spec\.diskPressure\.minAge: invalid duration "soon"/);
  });

  it('the byte form: both fields, valid quantities, target below max', () => {
    expect(problems({ maxImageBytes: '10Gi' })).toEqual(['spec.diskPressure: targetImageBytes is required with maxImageBytes']);
    expect(problems({ maxImageBytes: '8Gi', targetImageBytes: '10Gi' })).toEqual(['spec.diskPressure.targetImageBytes: targetImageBytes (10Gi) must be below maxImageBytes (8Gi)']);
    expect(problems({ maxImageBytes: 0, targetImageBytes: '1Gi' })[0]).toMatch(/^spec\.diskPressure\.maxImageBytes: 0 bytes: want a whole number of at least 1/);
    expect(problems({ maxImageBytes: true, targetImageBytes: '1Gi' })).toEqual(['spec.diskPressure.maxImageBytes: must be integer or string, got boolean']);
    expect(problems({ maxImageBytes: '10Gi', targetImageBytes: 8_000_000_000 })).toEqual([]);
  });

  it('accepts an empty budget, the spec example and minAge 0s', () => {
    expect(problems({})).toEqual([]);
    expect(problems({ highThresholdPercent: 85, lowThresholdPercent: 80, minAge: '10m' })).toEqual([]);
    expect(problems({ highThresholdPercent: 90.5, lowThresholdPercent: 85.25, minAge: '0s' })).toEqual([]);
  });
});

describe('budgetOf', () => {
  it('fills in kubelet\'s defaults: 85, 80, 2m', () => {
    expect(budgetOf('p', { diskPressure: {} })).toEqual({ policy: 'p', form: 'percent', high: 85, low: 80, minAgeMs: 120_000, minAge: '2m' });
    expect(budgetOf('p', { diskPressure: { highThresholdPercent: 90, minAge: '0s' } })).toMatchObject({ high: 90, low: 80, minAgeMs: 0 });
    expect(budgetOf('p', {})).toBeNull();
  });

  it('reads the byte form and sorts several budgets by policy', () => {
    expect(budgetOf('b', { diskPressure: { maxImageBytes: '10Gi', targetImageBytes: '8G' } })).toMatchObject({ form: 'bytes', max: 10 * 2 ** 30, target: 8e9 });
    const list = budgetsOf([{ metadata: { name: 'z' }, spec: { diskPressure: {} } }, { metadata: { name: 'a' }, spec: {} }, { metadata: { name: 'b' }, spec: { diskPressure: { minAge: '1h' } } }]);
    expect(list.map((b) => [b.policy, b.minAgeMs])).toEqual([['b', 3_600_000], ['z', 120_000]]);
  });

  it('minAge: zero or more', () => {
    expect(parseMinAge('0')).toEqual({ ok: true, ms: 0 });
    expect(parseMinAge('90s')).toEqual({ ok: true, ms: 90_000 });
    expect(parseMinAge('-1s').ok).toBe(false);
  });
});

describe('byte quantities', () => {
  it('reads Kubernetes quantities and prints decimal units', () => {
    expect(parseBytes('10Gi')).toEqual({ ok: true, bytes: 10 * 2 ** 30 });
    expect(parseBytes('1.5Mi')).toEqual({ ok: true, bytes: 1.5 * 2 ** 20 });
    expect(parseBytes('500M')).toEqual({ ok: true, bytes: 5e8 });
    expect(parseBytes(1024)).toEqual({ ok: true, bytes: 1024 });
    expect(parseBytes('10GB').ok).toBe(false);
    expect(parseBytes('-1').ok).toBe(false);
    expect(formatBytes(120e6)).toBe('120MB');
    expect(formatBytes(1_980_000)).toBe('1.98MB');
    expect(formatBytes(10_500_000)).toBe('10.5MB');
    expect(formatBytes(512)).toBe('512B');
  });
});
