import { readFileSync } from 'node:fs';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { generateTypes, KIND_SCHEMAS, TYPES_PATH } from './generate-types.js';
import { KINDS } from '../kinds.js';
import type { ImagePolicy, Workload } from './manifest-types.js';

describe('manifest types (crd/precompiled/manifest-types.ts)', () => {
  it('are fresh: npm run types regenerates them identically from the schemas', async () => {
    expect(readFileSync(TYPES_PATH, 'utf8')).toBe(await generateTypes());
  });

  it('cover every kind, each from the schema the validators use', () => {
    expect(Object.keys(KIND_SCHEMAS).sort()).toEqual(Object.keys(KINDS).sort());
    for (const [name, file] of Object.entries(KIND_SCHEMAS)) {
      expect(JSON.parse(readFileSync(new URL(`../${file}`, import.meta.url), 'utf8'))).toEqual(KINDS[name]!.schema);
    }
  });

  it('follow what the schemas require and allow', () => {
    expectTypeOf<ImagePolicy['kind']>().toEqualTypeOf<'ImagePolicy'>();
    expectTypeOf<Workload['spec']['imagePullPolicy']>().toEqualTypeOf<'Always' | 'IfNotPresent' | 'Never' | undefined>();
    expectTypeOf<Workload['spec']['image']>().toEqualTypeOf<string>();
    expectTypeOf<NonNullable<ImagePolicy['spec']['removal']>[number]['imageName']>().toEqualTypeOf<string>();
    // additionalProperties: false leaves no index signature: the keys are the schema's properties
    expectTypeOf<keyof Workload['spec']>().toEqualTypeOf<'image' | 'imagePullPolicy' | 'archive' | 'archiveDigest' | 'command' | 'env' | 'refreshImage' | 'restart' | 'purge'>();
    expectTypeOf<keyof ImagePolicy['metadata']>().toEqualTypeOf<'name' | 'labels' | 'annotations'>();
  });
});
