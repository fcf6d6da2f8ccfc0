import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { unifiedDiff } from './diff.js';

/** GNU diff's answer, without its header lines. */
function gnuDiff(a: string, b: string): string | null {
  const dir = mkdtempSync(join(tmpdir(), 'ictl-diff-'));
  try {
    writeFileSync(join(dir, 'a'), a);
    writeFileSync(join(dir, 'b'), b);
    execFileSync('diff', ['-u', join(dir, 'a'), join(dir, 'b')], { encoding: 'utf8' });
    return '';
  } catch (e) {
    const out = (e as { stdout?: string; status?: number }).stdout;
    if ((e as { status?: number }).status !== 1 || out === undefined) return null; // no diff(1) here
    return out.split('\n').slice(2).join('\n');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const body = (d: string) => d.split('\n').slice(2).join('\n');
const text = (n: number, change: (i: number) => string | null = () => null) =>
  Array.from({ length: n }, (_, i) => change(i) ?? `line ${i + 1}`).filter((l) => l !== '').join('\n') + '\n';

describe('unifiedDiff', () => {
  it('shows a 2-line change in a 2010-line text as two small hunks, not a full replacement', () => {
    // near both ends: what lies between is too long for a quadratic table
    const d = unifiedDiff(text(2010), text(2010, (i) => (i === 4 || i === 2005 ? 'changed' : null)), 'live/x', 'merged/x');
    expect(d.match(/^@@ /gm)).toHaveLength(2);
    expect(d.split('\n').filter((l) => /^[-+][^-+]/.test(l))).toEqual(['-line 5', '+changed', '-line 2006', '+changed']);
    expect(d).toContain('@@ -2003,7 +2003,7 @@\n line 2003\n line 2004\n line 2005\n-line 2006\n+changed\n');
    // two header lines, then per hunk its header, 3 lines of context either side and the change
    expect(d.split('\n')).toHaveLength(2 + 2 * (1 + 3 + 2 + 3) + 1);
  });

  it('is empty for equal texts', () => {
    expect(unifiedDiff('a\nb\n', 'a\nb\n', 'x', 'y')).toBe('');
  });

  it('shows a created and a deleted file against an empty one, with headers', () => {
    expect(unifiedDiff('', 'a: 1\nb: 2\n', 'live/imagepolicy/p', 'merged/imagepolicy/p')).toBe('--- live/imagepolicy/p\n+++ merged/imagepolicy/p\n@@ -0,0 +1,2 @@\n+a: 1\n+b: 2\n');
    expect(unifiedDiff('a: 1\n', '', 'l', 'm')).toBe('--- l\n+++ m\n@@ -1 +0,0 @@\n-a: 1\n');
  });

  it.each([
    ['one line changed in the middle', text(20), text(20, (i) => (i === 9 ? 'changed' : null))],
    ['two distant changes: two hunks', text(30), text(30, (i) => (i === 2 ? 'x' : i === 25 ? 'y' : null))],
    ['two close changes: one hunk', text(30), text(30, (i) => (i === 10 ? 'x' : i === 15 ? 'y' : null))],
    ['lines inserted and removed', text(12), text(12, (i) => (i === 3 ? '' : i === 7 ? 'line 8\nnew a\nnew b' : null))],
    ['a change at the start and the end', text(5), text(5, (i) => (i === 0 || i === 4 ? 'edge' : null))],
    ['two lines changed in a 2010-line text', text(2010), text(2010, (i) => (i === 4 || i === 2005 ? 'changed' : null))],
    ['every other line changed in 3000 lines', text(3000), text(3000, (i) => (i % 2 ? `other ${i}` : null))],
    ['a last line without a newline', 'a\nb\nc', 'a\nb\nd'],
    ['a whole file replaced', text(50), Array.from({ length: 40 }, (_, i) => `new ${i}`).join('\n') + '\n'],
  ])('matches GNU diff -u: %s', (_n, a, b) => {
    const gnu = gnuDiff(a, b);
    if (gnu === null) return;
    expect(body(unifiedDiff(a, b, 'a', 'b'))).toBe(gnu);
  });
});
