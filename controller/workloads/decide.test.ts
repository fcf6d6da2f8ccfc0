import { describe, expect, it } from 'vitest';
import type { Workload } from '../../crd/workload/type.js';
import { containerAction, countersOf, hasDigest, pullPolicyOf, raised, refParts, specHash } from './decide.js';

const D = `sha256:${'a'.repeat(64)}`;
const wl = (spec: Partial<Workload['spec']>): Workload => ({ apiVersion: 'imagectl.dev/v1alpha1', kind: 'Workload', metadata: { name: 'w' }, spec: { image: 'localhost:5000/sensor:1.4', ...spec } });

describe('workload decisions', () => {
  it('counters are raised only against a value already acted on', () => {
    const now = countersOf(wl({ refreshImage: 2, restart: 1 }));
    expect(now).toEqual({ refreshImage: 2, restart: 1, purge: 0 });
    expect(raised(now, undefined)).toEqual({ refresh: false, restart: false, purge: false });
    expect(raised(now, { refreshImage: 1, restart: 1, purge: 0 })).toEqual({ refresh: true, restart: false, purge: false });
    expect(raised(now, { refreshImage: 3, restart: 0, purge: 0 })).toEqual({ refresh: false, restart: true, purge: false });
  });

  it('the pull policy defaults to the agent default, and to IfNotPresent for archives', () => {
    expect(pullPolicyOf(wl({}), 'Always')).toBe('Always');
    expect(pullPolicyOf(wl({ imagePullPolicy: 'Never' }), 'Always')).toBe('Never');
    expect(pullPolicyOf(wl({ archive: 'a.tar' }), 'Always')).toBe('IfNotPresent');
  });

  it('the spec hash ignores counters and changes with what the container is made of', () => {
    expect(specHash(wl({ refreshImage: 5, restart: 2 }))).toBe(specHash(wl({})));
    expect(specHash(wl({ env: { A: '1' } }))).not.toBe(specHash(wl({})));
    expect(specHash(wl({ command: ['x'] }))).not.toBe(specHash(wl({})));
  });

  it('splits references into what to pull and what is pinned', () => {
    expect(refParts('localhost:5000/sensor:1.4')).toEqual({ pullRef: 'localhost:5000/sensor:1.4', tagRef: 'localhost:5000/sensor:1.4', repo: 'localhost:5000/sensor', pin: null });
    expect(refParts('nginx')).toMatchObject({ pullRef: 'docker.io/library/nginx:latest', repo: 'docker.io/library/nginx' });
    expect(refParts(`localhost:5000/sensor:1.4@${D}`)).toMatchObject({ tagRef: 'localhost:5000/sensor:1.4', pin: D });
    expect(refParts(`localhost:5000/sensor@${D}`)).toEqual({ pullRef: `localhost:5000/sensor@${D}`, tagRef: null, repo: 'localhost:5000/sensor', pin: D });
  });

  it('matches repo digests per repository, normalized', () => {
    expect(hasDigest([`localhost:5000/sensor@${D}`], 'localhost:5000/sensor', D)).toBe(true);
    expect(hasDigest([`localhost:5000/other@${D}`], 'localhost:5000/sensor', D)).toBe(false);
    expect(hasDigest([`nginx@${D}`], 'docker.io/library/nginx', D)).toBe(true);
  });

  it('decides the container action: create, purge, recreate, restart, start, none', () => {
    const c = { imageId: 'sha256:1', state: 'running', specHash: 'h' };
    const none = { restart: false, purge: false };
    expect(containerAction(undefined, 'sha256:1', 'h', none)).toBe('create');
    expect(containerAction(c, 'sha256:1', 'h', { restart: true, purge: true })).toBe('purge');
    expect(containerAction(c, 'sha256:2', 'h', { restart: true, purge: false })).toBe('recreate');
    expect(containerAction(c, 'sha256:1', 'h2', none)).toBe('recreate');
    expect(containerAction(c, 'sha256:1', 'h', { restart: true, purge: false })).toBe('restart');
    expect(containerAction({ ...c, state: 'created' }, 'sha256:1', 'h', none)).toBe('start');
    expect(containerAction(c, 'sha256:1', 'h', none)).toBe('none');
  });
});
