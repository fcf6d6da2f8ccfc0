import { describe, expect, it } from 'vitest';
import { imagePatternProblem } from './pattern.js';

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
