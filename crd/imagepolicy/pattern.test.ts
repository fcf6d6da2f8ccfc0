import { describe, expect, it } from 'vitest';
import { makeRe } from 'minimatch';
import { globProblem, imagePatternProblem, PLAIN_GLOB } from './pattern.js';

describe('imagePatternProblem', () => {
  it.each([
    'nginx:1.25',
    'registry.local/app:1.*',
    '*/sensor:*',
    '*',
    '**',
    'app:*',
    'registry.local/*',
    'localhost:5000/app:{1,2}.*',
    'app:[0-9]*',
    'app@sha256:*',
    `app@sha256:${'a'.repeat(64)}`,
    'app:{1..9}',
  ])('accepts %s', (p) => {
    expect(imagePatternProblem(p)).toBeNull();
  });

  it.each([
    ['app', 'tag required'],
    ['registry.local/app', 'tag required'],
    ['', 'empty image pattern'],
    ['x'.repeat(513), 'longer than 512'],
    ['!app:*', 'negated pattern'],
    ['app:[abc', 'unbalanced "["'],
    ['app:1]', 'unbalanced "]"'],
    ['app:{1,2', 'unbalanced "{"'],
    ['app:1}', 'unbalanced "}"'],
    ['app:{1..100000}', 'more than 1000 alternatives'],
    ['{a,b}{c,d}{a,b}{c,d}{a,b}{c,d}{a,b}{c,d}{a,b}{c,d}:*', 'more than 1000 alternatives'],
    ['Nginx:1', 'must be lowercase'],
    ['registry.local/App:*', 'component "App"'],
    ['registry.local/My*:*', 'component "My*"'],
    ['app:1 2', 'white space'],
    ['app:*@sha256:abc', 'invalid digest'],
    ['app:-*', 'invalid tag "-*"'],
  ])('rejects %s', (p, fragment) => {
    expect(imagePatternProblem(p)).toContain(fragment);
  });
});

describe('globProblem', () => {
  it('needs no minimatch for plain globs: minimatch compiles every one of them', () => {
    const alphabet = ['a', 'Z', '0', '.', '..', '_', ':', '/', '//', '@', '-', '*', '**', '?', '/**/', '.*', '*.'];
    let seed = 7;
    const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) % n);
    const samples = ['*', '**', '?', '.', '..', '/', '//', '/..', '../', 'a/..', '**/..', '@', '-', ':', '.*', '*/.', '@*', '?@-'];
    for (let i = 0; i < 5000; i++) samples.push(Array.from({ length: 1 + rnd(8) }, () => alphabet[rnd(alphabet.length)]).join(''));
    for (const p of samples) {
      expect(PLAIN_GLOB.test(p), p).toBe(true);
      expect(makeRe(p), p).not.toBe(false);
    }
    // and what is not plain goes to minimatch
    for (const p of ['#a:*', 'a:[x]', 'a:{1,2}', 'a:@(x)', 'a:\\*', 'a:+(x)', 'a b:*']) expect(PLAIN_GLOB.test(p), p).toBe(false);
    // a # is a plain character in imagectl's dialect (nocomment), and no image name has one
    expect(globProblem('#app:*')).toBeNull();
    expect(imagePatternProblem('#app:*')).toContain('invalid repository name');
  });

  it('gives the same answer twice (answers are cached)', () => {
    expect(imagePatternProblem('app:[abc')).toBe(imagePatternProblem('app:[abc'));
    expect(imagePatternProblem('registry.local/app:1.*')).toBeNull();
    expect(imagePatternProblem('registry.local/app:1.*')).toBeNull();
  });
});
