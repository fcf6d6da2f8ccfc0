import { describe, expect, it } from 'vitest';
import { formatPath, validateManifest } from './validate.js';

const policy = (spec: unknown, metadata: unknown = { name: 'p' }) => ({
  apiVersion: 'imagectl.dev/v1alpha1',
  kind: 'ImagePolicy',
  metadata,
  spec,
});

const shown = (obj: unknown) => validateManifest(obj).map((p) => `${formatPath(p.path)}: ${p.message}`);

describe('validateManifest', () => {
  it('accepts the example from the spec', () => {
    const ok = policy({
      nodeSelector: { matchLabels: { site: 'plant-7' }, matchExpressions: [{ key: 'arch', operator: 'In', values: ['arm64'] }] },
      removal: [
        { imageName: 'registry.local/app:1.*', deleteAfter: '30m', agentDownloadedOnly: true },
        { imageName: '*/sensor:*', deleteAfterMinutes: 30 },
      ],
      keep: ['registry.local/base:*'],
    });
    expect(validateManifest(ok)).toEqual([]);
  });

  it('accepts labels and annotations in Kubernetes syntax', () => {
    const meta = { name: 'p', labels: { 'imagectl.dev/tier': 'edge', site: '' }, annotations: { 'example.com/note': 'any text: at all' } };
    expect(validateManifest(policy({}, meta))).toEqual([]);
  });

  it('points an unknown field at the field itself and lists the known ones', () => {
    expect(shown(policy({ removal: [{ imageName: 'a:1', deleteAfter: '1m', foo: 1 }] }))).toEqual([
      'spec.removal[0].foo: unknown field "foo" (known fields: imageName, deleteAfter, deleteAfterMinutes, agentDownloadedOnly)',
    ]);
  });

  it('reports a missing field on its parent', () => {
    expect(shown(policy({ removal: [{ deleteAfter: '1m' }] }))).toEqual(['spec.removal[0]: required field "imageName" is missing']);
    expect(shown({ apiVersion: 'imagectl.dev/v1alpha1', kind: 'ImagePolicy', spec: {} })).toEqual([': required field "metadata" is missing']);
  });

  it('names the expected and the actual type', () => {
    expect(shown(policy({ keep: ['a:1', 5] }))).toEqual(['spec.keep[1]: must be string, got number']);
    expect(shown(policy({ removal: {} }))).toEqual(['spec.removal: must be array, got object']);
    expect(shown(policy(null))).toEqual(['spec: must be object, got null']);
  });

  it('lists the allowed values of an enum and a const', () => {
    const bad = policy({ nodeSelector: { matchExpressions: [{ key: 'a', operator: 'Has' }] } });
    expect(shown(bad)).toEqual(['spec.nodeSelector.matchExpressions[0].operator: must be one of In, NotIn, Exists, DoesNotExist, got "Has"']);
    expect(shown({ ...policy({}), apiVersion: 'v1' })).toEqual(['apiVersion: must be "imagectl.dev/v1alpha1", got "v1"']);
  });

  it('explains DNS-1123 names, label keys and label values in words', () => {
    expect(shown(policy({}, { name: 'Plant_7' }))).toEqual(["metadata.name: must be a DNS-1123 label (lowercase letters, digits and '-')"]);
    const labels = shown(policy({}, { name: 'p', labels: { 'bad key': 'x', ok: 'no spaces allowed' } }));
    expect(labels).toEqual([
      expect.stringMatching(/^metadata\.labels\["bad key"\]: invalid key "bad key": must be a label key/),
      expect.stringMatching(/^metadata\.labels\.ok: must be a label value/),
    ]);
  });

  it('checks the header before it can pick a schema', () => {
    expect(shown({ apiVersion: 'v1', kind: 'Pod' })).toEqual([
      'apiVersion: must be "imagectl.dev/v1alpha1", got "v1"',
      'kind: unknown kind "Pod" (known kinds: ImagePolicy, Workload)',
    ]);
    expect(shown({ apiVersion: 'imagectl.dev/v1alpha1', kind: 7 })).toEqual(['kind: must be string, got number']);
    expect(shown({})).toEqual([': required field "apiVersion" is missing', ': required field "kind" is missing (known kinds: ImagePolicy, Workload)']);
    expect(shown([])).toEqual([': a manifest must be a mapping (object), got array']);
    expect(shown('text')).toEqual([': a manifest must be a mapping (object), got string']);
  });

  it('runs the semantic checks only once the schema passes', () => {
    const bad = policy({ removal: [{ imageName: 'app', deleteAfter: 5 }] });
    expect(shown(bad)).toEqual(['spec.removal[0].deleteAfter: must be string, got number']);
  });

  it('requires exactly one of deleteAfter and deleteAfterMinutes, naming both', () => {
    const both = shown(policy({ removal: [{ imageName: 'a:1', deleteAfter: '1m', deleteAfterMinutes: 1 }] }));
    const neither = shown(policy({ removal: [{ imageName: 'a:1' }] }));
    for (const s of [...both, ...neither]) expect(s).toMatch(/^spec\.removal\[0\]: .*deleteAfter .*deleteAfterMinutes/);
    expect(both).toHaveLength(1);
    expect(neither).toHaveLength(1);
  });

  it('checks both duration forms against the same range', () => {
    const rule = (r: object) => shown(policy({ removal: [{ imageName: 'a:1', ...r }] }));
    expect(rule({ deleteAfter: '30x' })).toEqual([expect.stringMatching(/^spec\.removal\[0\]\.deleteAfter: invalid duration "30x"/)]);
    expect(rule({ deleteAfter: '11000d' })).toEqual(['spec.removal[0].deleteAfter: duration "11000d" is longer than 10 years']);
    expect(rule({ deleteAfterMinutes: 6_000_000 })).toEqual(['spec.removal[0].deleteAfterMinutes: duration 6000000 minutes is longer than 10 years']);
    expect(rule({ deleteAfterMinutes: Infinity })).toEqual(['spec.removal[0].deleteAfterMinutes: must be a finite number, got Infinity']);
    expect(rule({ deleteAfterMinutes: 0 })).toEqual(['spec.removal[0].deleteAfterMinutes: must be greater than 0, got 0']);
    expect(rule({ deleteAfterMinutes: 0.5 })).toEqual([]);
  });

  it('checks every imageName and keep entry as an image pattern', () => {
    const bad = shown(policy({ removal: [{ imageName: 'app', deleteAfter: '1m' }], keep: ['base:*', 'registry.local/base'] }));
    expect(bad).toEqual([
      'spec.removal[0].imageName: tag required: write "app:<tag>" or "app:*"',
      'spec.keep[1]: tag required: write "registry.local/base:<tag>" or "registry.local/base:*"',
    ]);
  });

  it('checks the values of match expressions against their operator', () => {
    const exprs = [
      { key: 'a', operator: 'In' },
      { key: 'b', operator: 'NotIn', values: [] },
      { key: 'c', operator: 'Exists', values: ['x'] },
      { key: 'd', operator: 'DoesNotExist', values: [] },
    ];
    expect(shown(policy({ nodeSelector: { matchExpressions: exprs } }))).toEqual([
      'spec.nodeSelector.matchExpressions[0]: operator In needs a non-empty values list',
      'spec.nodeSelector.matchExpressions[1].values: operator NotIn needs a non-empty values list',
      'spec.nodeSelector.matchExpressions[2].values: operator Exists must not have values',
    ]);
  });
});

describe('formatPath', () => {
  it('prints dotted paths with indexes and quotes odd keys', () => {
    expect(formatPath(['spec', 'removal', 0, 'imageName'])).toBe('spec.removal[0].imageName');
    expect(formatPath(['metadata', 'labels', 'imagectl.dev/tier'])).toBe('metadata.labels["imagectl.dev/tier"]');
    expect(formatPath([])).toBe('');
  });
});
