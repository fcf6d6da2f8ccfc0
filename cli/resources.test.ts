import { describe, expect, it } from 'vitest';
import { fromServer, notFound, parseTargets, resourceOf } from './resources.js';

const names = (args: string[]) => parseTargets(args).names.map((t) => `${t.resource.singular}/${t.name}`);

describe('kubectl argument forms', () => {
  it('TYPE NAME..., TYPE/NAME..., TYPE,TYPE', () => {
    expect(names(['policies', 'a', 'b'])).toEqual(['imagepolicy/a', 'imagepolicy/b']);
    expect(names(['imagepolicy/a', 'workload/w', 'image/sha256:0f'])).toEqual(['imagepolicy/a', 'workload/w', 'image/sha256:0f']);
    // a name may hold slashes itself: an image tag
    expect(names(['image/localhost:5000/app:1'])).toEqual(['image/localhost:5000/app:1']);
    expect(names(['images', 'localhost:5000/app:1'])).toEqual(['image/localhost:5000/app:1']);
    expect(parseTargets(['images,policies']).resources.map((r) => r.name)).toEqual(['images', 'policies']);
    expect(parseTargets(['ip']).resources.map((r) => r.name)).toEqual(['policies']);
  });

  it('refuses what kubectl refuses', () => {
    expect(() => parseTargets(['pods'])).toThrow('the server doesn\'t have a resource type "pods"');
    expect(() => parseTargets(['policies', 'imagepolicy/a'])).toThrow('no need to specify a resource type');
    expect(() => parseTargets(['images,policies', 'a'])).toThrow('TYPE/NAME');
    expect(() => parseTargets(['imagepolicy/'])).toThrow('a single resource and name');
    expect(() => parseTargets([])).toThrow('you must specify the type of resource');
  });

  it('has one NotFound wording, kubectl\'s, with the plural resource name', () => {
    expect(notFound(resourceOf('policy'), 'x').message).toBe('Error from server (NotFound): imagepolicies "x" not found');
    expect((fromServer(Object.assign(new Error('workload "w" not found'), { status: 404 }), resourceOf('wl'), 'w') as Error).message).toBe('Error from server (NotFound): workloads "w" not found');
    expect((fromServer(Object.assign(new Error('ambiguous'), { status: 409 }), resourceOf('img'), 'a') as Error).message).toBe('Error from server: ambiguous');
    const away = new Error('cannot reach the imagectl agent');
    expect(fromServer(away, resourceOf('img'), 'a')).toBe(away);
  });
});
