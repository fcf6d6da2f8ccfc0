import { describe, expect, it } from 'vitest';
import { parseManifestText } from '../../crd/load.js';
import { formatManifestError } from '../../crd/types.js';
import { TEMPLATES } from './new.js';

describe('imagectl new', () => {
  it.each(Object.entries(TEMPLATES))('the %s template is a valid manifest as it is, with comments', (kind, text) => {
    const r = parseManifestText(text, `${kind}.yaml`);
    if (!r.ok) throw new Error(r.errors.map(formatManifestError).join('\n'));
    expect(r.objects.map((o) => o.object.kind.toLowerCase())).toEqual([kind]);
    expect(text.split('\n').filter((l) => l.includes('#')).length).toBeGreaterThan(5);
  });

  it('the imagepolicy template carries a commented diskPressure that is valid once uncommented', () => {
    const t = TEMPLATES.imagepolicy!;
    const on = t.replace(/^  # (diskPressure:)$/m, '  $1').replace(/^  # {3}(highThresholdPercent|lowThresholdPercent|minAge)(:.*)$/gm, '    $1$2');
    const r = parseManifestText(on, 'imagepolicy.yaml');
    if (!r.ok) throw new Error(r.errors.map(formatManifestError).join('\n'));
    expect((r.objects[0]!.object.spec as { diskPressure?: unknown }).diskPressure).toEqual({ highThresholdPercent: 85, lowThresholdPercent: 80, minAge: '10m' });
  });

  it('has a template for every kind', () => {
    expect(Object.keys(TEMPLATES).sort()).toEqual(['imagepolicy', 'workload']);
  });
});
