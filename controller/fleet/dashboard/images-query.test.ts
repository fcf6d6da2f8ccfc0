import { describe, expect, it } from 'vitest';
import type { NodeStatus } from '../../../crd/fleet/node-status.js';
import { imageHolders } from './images-query.js';

const img = (id: string, tags: string[], state: string, repoDigests: string[] = []) => ({ id: `sha256:${id.padEnd(64, '0')}`, status: { state, tags, repoDigests, sizeBytes: 1000, lastUsedAt: null, reason: '' } as never });
const node = (name: string, images: NodeStatus['images']) => ({ node: name, images }) as NodeStatus;

const fleet = [
  node('dev-a', [img('a1', ['docker.io/library/app:1.2'], 'idle'), img('a2', ['registry.local/web/api:3'], 'in-use')]),
  node('dev-b', [img('b1', ['docker.io/library/app:1.2'], 'removed'), img('b2', ['registry.local/web/ui:1'], 'idle')]),
  node('dev-c', [img('c1', ['docker.io/library/app:1.3'], 'in-use', ['docker.io/library/app@sha256:' + 'd'.repeat(64)])]),
];

describe('imageHolders', () => {
  it('reads a tag as get images does (normalized), removed images in their state', () => {
    const a = imageHolders(fleet, 'app:1.2');
    expect(a.kind).toBe('reference');
    expect(a.items.map((i) => [i.node, i.state])).toEqual([['dev-a', 'idle'], ['dev-b', 'removed']]);
  });

  it('matches a glob as an ImagePolicy imageName does', () => {
    expect(imageHolders(fleet, 'registry.local/web/*:*').items.map((i) => i.node)).toEqual(['dev-a', 'dev-b']);
    expect(imageHolders(fleet, 'app:1.*').items.map((i) => i.node)).toEqual(['dev-a', 'dev-b', 'dev-c']);
    expect(imageHolders(fleet, 'app:1.*').kind).toBe('glob');
  });

  it('finds an image by ID prefix and by digest reference', () => {
    expect(imageHolders(fleet, 'sha256:c100').items.map((i) => i.node)).toEqual(['dev-c']);
    expect(imageHolders(fleet, `app@sha256:${'d'.repeat(64)}`).items.map((i) => i.node)).toEqual(['dev-c']);
  });

  it('says what is wrong with a query that names nothing', () => {
    expect(imageHolders(fleet, '  ').error).toMatch(/give a tag/);
    expect(imageHolders(fleet, 'app:[1').error).toMatch(/unbalanced/);
  });
});
