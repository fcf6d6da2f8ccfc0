import { describe, expect, it } from 'vitest';
import type { ImagePolicySpec } from './type.js';
import { appliesToNode, patternListed, type NodeFacts } from './applies.js';

const node = { labels: { site: 'plant-7', arch: 'arm64', cores: '4' }, constraints: ['purpose == cleanup'] };
const patternNode = { labels: { ...node.labels, 'openhorizon.pattern': 'sall' }, constraints: [] };
const at = (spec: ImagePolicySpec, n: NodeFacts = node) => appliesToNode(spec, n);

describe('appliesToNode', () => {
  it('applies a policy without any selector, and says so', () => {
    expect(at({})).toEqual({ matches: true, reason: 'no nodeSelector', decidedBy: 'none' });
  });

  it('enabled: false wins over everything else', () => {
    expect(at({ enabled: false, nodeSelector: { matchLabels: { site: 'plant-7' } } })).toEqual({
      matches: false, reason: 'enabled: false (the policy is switched off)', decidedBy: 'enabled',
    });
    expect(at({ enabled: true }).reason).toBe('enabled: true');
  });

  it('names the nodeSelector term that decided', () => {
    expect(at({ nodeSelector: { matchLabels: { site: 'plant-8' } } })).toMatchObject({ matches: false, decidedBy: 'nodeSelector', reason: 'nodeSelector matchLabels site=plant-8: node has site=plant-7' });
    expect(at({ nodeSelector: { matchLabels: { site: 'plant-7' } } })).toMatchObject({ matches: true, reason: 'nodeSelector matches the node labels' });
  });

  it('evaluates Open Horizon constraints against the node labels', () => {
    expect(at({ constraints: ['site == plant-7 && cores >= 4'] })).toMatchObject({ matches: true, decidedBy: 'constraints' });
    expect(at({ constraints: ['site == plant-7', 'cores > 4'] })).toMatchObject({
      matches: false, decidedBy: 'constraints', reason: 'constraint "cores > 4" is not satisfied (the node has cores=4)',
    });
  });

  it('matches the node constraints against the policy properties, only when the policy has properties', () => {
    expect(at({ properties: [{ name: 'purpose', value: 'cleanup' }] })).toMatchObject({ matches: true, decidedBy: 'nodeConstraints' });
    expect(at({ properties: [{ name: 'purpose', value: 'upgrade' }] })).toMatchObject({
      matches: false, decidedBy: 'nodeConstraints', reason: 'node constraint "purpose == cleanup" is not satisfied (the policy has purpose=upgrade)',
    });
    expect(at({ properties: [] })).toMatchObject({ matches: false, reason: expect.stringContaining('the policy has no property purpose') });
    expect(at({})).toMatchObject({ matches: true });
    expect(at({ properties: [] }, { ...node, constraints: [] })).toMatchObject({ matches: true });
    expect(at({ properties: [{ name: 'tier', value: '3', type: 'int' }] }, { ...node, constraints: ['tier > 2'] })).toMatchObject({ matches: true });
  });

  it('matches patterns by the openhorizon.pattern node label, with or without the org', () => {
    expect(at({ patterns: ['myorg/sall'] }, patternNode)).toMatchObject({ matches: true, decidedBy: 'patterns' });
    expect(at({ patterns: ['sall'] }, patternNode)).toMatchObject({ matches: true, decidedBy: 'patterns' });
    expect(at({ patterns: ['other'] }, patternNode)).toMatchObject({ matches: false, reason: "patterns [other]: the node's pattern sall is not listed" });
    expect(at({ patterns: ['sall'] }, { labels: {} })).toMatchObject({ matches: false, reason: 'patterns [sall]: the node has no pattern (label openhorizon.pattern)' });
  });

  it('compares the org as anax does when the node pattern has one', () => {
    expect(patternListed(['myorg/sall'], 'myorg/sall')).toBe(true);
    expect(patternListed(['sall'], 'myorg/sall')).toBe(true);
    expect(patternListed(['other/sall'], 'myorg/sall')).toBe(false);
  });

  it('oh-node-pattern-org: a node label has no org (label values have no "/"), so any org of that name matches', () => {
    expect(patternListed(['other/sall'], 'sall')).toBe(true);
    expect(patternListed(['sall'], 'sall')).toBe(true);
    expect(patternListed(['other/salt'], 'sall')).toBe(false);
  });

  it('keeps a policy with properties (Open Horizon) off nodes that run a pattern, as anax does', () => {
    expect(at({ properties: [] }, patternNode)).toMatchObject({ matches: false, decidedBy: 'patterns', reason: expect.stringContaining('the node runs the pattern sall and the policy lists no patterns') });
    expect(at({ constraints: ['site == plant-7'] }, patternNode)).toMatchObject({ matches: true });
    expect(at({}, patternNode)).toMatchObject({ matches: true });
  });

  it('compares properties by their type: an int is a number, a string is text', () => {
    expect(at({ properties: [{ name: 'tier', value: '3', type: 'int' }] }, { labels: {}, constraints: ['tier > 2'] })).toMatchObject({ matches: true });
    expect(at({ properties: [{ name: 'tier', value: '3', type: 'string' }] }, { labels: {}, constraints: ['tier > 2'] })).toMatchObject({ matches: false });
    expect(at({ properties: [{ name: 'tier', value: '3' }] }, { labels: {}, constraints: ['tier > 2'] })).toMatchObject({ matches: true });
  });
});
