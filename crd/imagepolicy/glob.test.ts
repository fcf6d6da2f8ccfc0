import { Minimatch } from 'minimatch';
import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../test/helpers/rng.js';
import { compileGlob, GLOB_OPTIONS, slowAlternatives } from './glob.js';

/** Random patterns and strings over a small alphabet, so that wildcards often nearly match. */
function gen(seed: number) {
  const rnd = seededRandom(seed);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rnd() * xs.length)]!;
  const patternParts = ['a', 'b', 'ab', ':', '.', '-', '*', '**', '?', '/', '/**/', '[ab]', '[!a]', '[a-c]', '{a,b}', '{a,*}', '{1..3}', '@'];
  const fileParts = ['a', 'b', 'ab', 'ba', ':', '.', '-', '1', '2', '/', 'c', '@'];
  const pattern = () => Array.from({ length: 1 + Math.floor(rnd() * 6) }, () => pick(patternParts)).join('');
  const file = () => Array.from({ length: 1 + Math.floor(rnd() * 8) }, () => pick(fileParts)).join('');
  return { pattern, file };
}

describe('compileGlob', () => {
  it('answers as minimatch does with the same options, for random patterns and strings', () => {
    const g = gen(12345);
    let compared = 0;
    for (let i = 0; i < 1500; i++) {
      const p = g.pattern();
      const mine = compileGlob(p);
      const theirs = new Minimatch(p, GLOB_OPTIONS);
      for (let j = 0; j < 20; j++) {
        const f = g.file();
        expect(mine.test(f), `${JSON.stringify(p)} ${JSON.stringify(f)}`).toBe(theirs.match(f));
        compared++;
      }
    }
    expect(compared).toBe(30_000);
  }, 120_000);

  it('matches reference-like strings with many wildcards in linear time (minimatch backtracks: O(n^k))', () => {
    // `a*a*a*a*a*a*c` against 500 `a`s: minimatch's RegExp takes far longer than this test's timeout
    const g = compileGlob('a*a*a*a*a*a*a*a*c');
    expect(g.test('a'.repeat(500))).toBe(false);
    expect(g.test(`${'a'.repeat(500)}c`)).toBe(true);
    expect(compileGlob('**/a*a*a*a*a*/**/b').test(`${'x/'.repeat(100)}${'a'.repeat(300)}/${'y/'.repeat(50)}b`)).toBe(true);
  });

  it('expands braces as minimatch does, and keeps extglobs and escapes for minimatch', () => {
    expect(compileGlob('fixture/p1{0..999}:*').alternatives).toBe(1000);
    expect(compileGlob('app:{1,2}').test('app:2')).toBe(true);
    expect(slowAlternatives('a/+(x|y)/{b,\\c}')).toEqual(['a/+(x|y)/b', 'a/+(x|y)/\\c']);
    expect(slowAlternatives('registry.local/app:1.[0-9]*')).toEqual([]);
  });
});
