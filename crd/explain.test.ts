import { describe, expect, it } from 'vitest';
import { explain } from './explain.js';

const text = (p: string, recursive = false) => {
  const r = explain(p, { recursive });
  if (!r.ok) throw new Error(r.error);
  return r.text;
};

describe('explain', () => {
  it('documents a field of a kind from the schema descriptions, with its subfields', () => {
    const t = text('imagepolicy.spec.removal');
    expect(t).toMatch(/^KIND:\s+ImagePolicy\nVERSION:\s+imagectl\.dev\/v1alpha1\n\nFIELD: removal <\[\]Object>\n\nDESCRIPTION:\n {4}Rules for removing unused images\./);
    expect(t).toContain('FIELDS:\n  imageName\t<string> -required-\n    Images the rule applies to');
    expect(t).toContain('  agentDownloadedOnly\t<boolean>\n    Match only images that the agent itself pulled or loaded. (default: false)');
  });

  it('finds kinds by any of their names and walks through arrays and maps', () => {
    expect(text('ImagePolicy')).toContain('  spec\t<Object> -required-');
    expect(text('policies.spec.nodeSelector.matchExpressions.operator')).toContain('FIELD: operator <string> (allowed values: In, NotIn, Exists, DoesNotExist)');
    expect(text('wl.spec.env')).toContain('FIELD: env <map[string]string>');
    expect(text('imagepolicy.spec.constraints')).toContain('Open Horizon constraint expressions');
  });

  it('documents spec.diskPressure: both forms, the defaults, int-or-string byte quantities', () => {
    const t = text('imagepolicy.spec.diskPressure');
    expect(t).toContain('FIELD: diskPressure <Object>');
    expect(t).toMatch(/highThresholdPercent\t<number>\n {4}Act when the filesystem holding the engine's data root/);
    expect(t).toContain('default 85');
    expect(t).toMatch(/maxImageBytes\t<IntOrString>\n {4}The byte form/);
    expect(text('ip.spec.diskPressure.minAge')).toContain('Default 2m');
  });

  it('lists the field tree with --recursive', () => {
    expect(text('imagepolicy.spec', true)).toContain('  nodeSelector\t<Object>\n    matchLabels\t<map[string]string>\n    matchExpressions\t<[]Object>\n      key\t<string> -required-');
  });

  it('says which fields exist when one does not', () => {
    expect(explain('imagepolicy.spec.bogus')).toEqual({ ok: false, error: 'field "bogus" does not exist in imagepolicy.spec (fields: enabled, nodeSelector, constraints, properties, patterns, removal, keep, diskPressure)' });
    expect(explain('pod')).toEqual({ ok: false, error: 'the server doesn\'t have a resource type "pod" (known: imagepolicy, workload)' });
  });
});
