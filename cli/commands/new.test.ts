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

  it('has a template for every kind', () => {
    expect(Object.keys(TEMPLATES).sort()).toEqual(['imagepolicy', 'workload']);
  });
});
