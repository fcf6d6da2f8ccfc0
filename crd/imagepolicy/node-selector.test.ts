import { describe, expect, it } from 'vitest';
import { selectorTerms, selectsNode } from './node-selector.js';
import { newRequirement } from '../fields/label-requirement.js';
import { validateManifest } from '../validate.js';

const policy = (nodeSelector: unknown) => ({
  apiVersion: 'imagectl.dev/v1alpha1', kind: 'ImagePolicy', metadata: { name: 'p' },
  spec: { nodeSelector, removal: [{ imageName: 'app:*', deleteAfter: '1h' }] },
});

describe('nodeSelector', () => {
  it('selects every node when it is empty, as apimachinery does, and says which term failed', () => {
    expect(selectsNode({}, {})).toEqual({ matches: true, reason: 'no nodeSelector' });
    expect(selectsNode({ matchLabels: {}, matchExpressions: [] }, {})).toMatchObject({ matches: true });
    expect(selectsNode({ matchExpressions: [{ key: 'arch', operator: 'NotIn', values: ['arm64'] }] }, { arch: 'arm64' })).toEqual({
      matches: false, reason: 'matchExpressions arch NotIn (arm64): node has arch=arm64',
    });
  });

  it('selector-absent: an absent nodeSelector selects every node (apimachinery reads an absent LabelSelector as nothing)', () => {
    expect(selectsNode(undefined, {})).toEqual({ matches: true, reason: 'no nodeSelector' });
  });

  it('refuses what LabelSelectorAsSelector refuses, at its place', () => {
    // each part under 63 characters, as the schema wants, but a prefix over 253
    const long = `${['a', 'b', 'c', 'd', 'e'].map((c) => c.repeat(60)).join('.')}.io/x`;
    expect(selectorTerms({ matchLabels: { [long]: 'v' } })).toMatchObject({ ok: false, path: ['matchLabels', long], error: expect.stringContaining('at most 253') });
    expect(validateManifest(policy({ matchLabels: { [long]: 'v' } }))).toEqual([{ path: ['spec', 'nodeSelector', 'matchLabels', long], message: expect.stringContaining('the prefix must be at most 253 characters') }]);
    const problems = validateManifest(policy({ matchExpressions: [{ key: 'a', operator: 'Exists', values: ['x'] }] }));
    expect(problems).toEqual([{ path: ['spec', 'nodeSelector', 'matchExpressions', 0, 'values'], message: 'operator Exists must not have values' }]);
  });

  it('selector-key-labels: manifests limit each part of a label key prefix to 63 characters, which apimachinery does not', () => {
    const key = `${'a'.repeat(64)}.example.com/x`;
    expect(newRequirement(key, '=', ['v']).ok).toBe(true);
    expect(validateManifest(policy({ matchLabels: { [key]: 'v' } }))).toMatchObject([{ path: ['spec', 'nodeSelector', 'matchLabels', key], message: expect.stringContaining('invalid key') }]);
  });
});
