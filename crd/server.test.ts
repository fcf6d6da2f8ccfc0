import { describe, expect, it } from 'vitest';
import { validateForServer } from './server.js';

const ok = { apiVersion: 'imagectl.dev/v1alpha1', kind: 'ImagePolicy', metadata: { name: 'a' }, spec: { removal: [{ imageName: 'x:*', deleteAfter: '1m' }] } };

describe('server-side validation', () => {
  it('accepts a valid set and rejects bad objects and duplicates with their index and path', () => {
    expect(validateForServer([ok])).toEqual([]);
    const bad = { ...ok, spec: { removal: [{ imageName: 'app', deleteAfter: '1m' }] } };
    const problems = validateForServer([ok, bad, 42]);
    expect(problems.some((p) => p.startsWith('objects[1].spec.removal[0].imageName:') && p.includes('tag required'))).toBe(true);
    expect(problems.some((p) => p.startsWith('objects[1]: duplicate ImagePolicy/a'))).toBe(true);
    expect(problems.some((p) => p.startsWith('objects[2]: a manifest must be a mapping'))).toBe(true);
  });
});
