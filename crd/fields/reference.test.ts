import { describe, expect, it } from 'vitest';
import { familiar, normalize, normalizePattern, normalizeWithDefaultTag, parseReference, patternTagProblem } from './reference.js';

describe('normalize', () => {
  it.each([
    ['nginx:1', 'docker.io/library/nginx:1'],
    ['nginx', 'docker.io/library/nginx'],
    ['fixture/a:1', 'docker.io/fixture/a:1'],
    ['docker.io/library/nginx:1', 'docker.io/library/nginx:1'],
    ['index.docker.io/library/nginx:1', 'docker.io/library/nginx:1'],
    ['localhost:5000/sensor:1.4', 'localhost:5000/sensor:1.4'],
    ['127.0.0.1:5000/a/b/c:v', '127.0.0.1:5000/a/b/c:v'],
    ['registry.local/app:1.2', 'registry.local/app:1.2'],
    ['localhost/app:1', 'localhost/app:1'],
    [`app@sha256:${'a'.repeat(64)}`, `docker.io/library/app@sha256:${'a'.repeat(64)}`],
    [`app:1@sha256:${'b'.repeat(64)}`, `docker.io/library/app:1@sha256:${'b'.repeat(64)}`],
  ])('%s → %s', (input, want) => expect(normalize(input)).toBe(want));

  it('adds :latest only when asked', () => {
    expect(normalizeWithDefaultTag('nginx')).toBe('docker.io/library/nginx:latest');
    expect(normalizeWithDefaultTag('localhost:5000/x')).toBe('localhost:5000/x:latest');
  });

  it('drops the tag beside a digest when asked for what docker pull pulls, as distribution/reference does', () => {
    expect(normalizeWithDefaultTag(`app:1@sha256:${'b'.repeat(64)}`)).toBe(`docker.io/library/app@sha256:${'b'.repeat(64)}`);
    expect(normalizeWithDefaultTag(`app@sha256:${'b'.repeat(64)}`)).toBe(`docker.io/library/app@sha256:${'b'.repeat(64)}`);
    expect(normalize(`app:1@sha256:${'b'.repeat(64)}`)).toBe(`docker.io/library/app:1@sha256:${'b'.repeat(64)}`);
  });

  it('refuses a repository path over 255 characters and a bare 64-hex name, as distribution/reference does', () => {
    expect(parseReference(`registry.local/${'a'.repeat(255)}:1`).ok).toBe(true);
    expect(parseReference(`registry.local/${'a'.repeat(256)}:1`)).toEqual({ ok: false, error: 'repository name must not be more than 255 characters' });
    expect(parseReference('a'.repeat(64))).toMatchObject({ ok: false, error: expect.stringContaining('64 hexadecimal digits would be taken for an image ID') });
    expect(parseReference(`docker.io/${'a'.repeat(64)}`).ok).toBe(true);
    expect(parseReference('a'.repeat(63)).ok).toBe(true);
  });

  it('ref-limits: a reference is at most 512 characters', () => {
    expect(parseReference(`registry.local/${'a/'.repeat(250)}a:1`)).toEqual({ ok: false, error: 'image reference longer than 512 characters' });
  });

  it('normalizes only index.docker.io to docker.io, as distribution/reference does', () => {
    expect(normalize('index.docker.io/nginx:1')).toBe('docker.io/library/nginx:1');
    expect(normalize('registry-1.docker.io/library/nginx:1')).toBe('registry-1.docker.io/library/nginx:1');
  });

  it('familiar undoes normalize', () => {
    expect(familiar('docker.io/library/nginx:1')).toBe('nginx:1');
    expect(familiar('docker.io/fixture/a:1')).toBe('fixture/a:1');
    expect(familiar('localhost:5000/x:1')).toBe('localhost:5000/x:1');
  });

  it.each([
    ['Nginx:1', 'lowercase'],
    ['nginx:-bad', 'invalid tag'],
    ['nginx@sha256:abc', 'invalid digest'],
    [`nginx@sha512:${'a'.repeat(128)}`, 'unsupported digest algorithm "sha512"'],
    [`nginx@sha256:${'A'.repeat(64)}`, 'must be lowercase'],
    ['registry.local/App:1', 'component "App" must be lowercase'],
    ['a b:1', 'white space'],
    ['', 'empty'],
  ])('rejects %j', (input, msg) => {
    const r = parseReference(input);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toContain(msg);
  });
});

describe('patterns', () => {
  it.each([
    ['nginx:*', 'docker.io/library/nginx:*'],
    ['fixture/*:*', 'docker.io/fixture/*:*'],
    ['registry.local/app:1.*', 'registry.local/app:1.*'],
    ['*/sensor:*', '*/sensor:*'],
    ['*', '*'],
    ['**/app:*', '**/app:*'],
    ['localhost:5000/*:*', 'localhost:5000/*:*'],
  ])('normalizePattern(%s) = %s', (p, want) => expect(normalizePattern(p)).toBe(want));

  it.each([
    ['app', true], ['registry.local/app', true], ['localhost:5000/app', true],
    ['app:*', false], ['app:1', false], ['*', false], ['registry.local/*', false], [`app@sha256:${'c'.repeat(64)}`, false],
  ])('tag problem for %s: %s', (p, bad) => {
    const r = patternTagProblem(p);
    if (bad) expect(r).toContain('tag required');
    else expect(r).toBeNull();
  });
});
