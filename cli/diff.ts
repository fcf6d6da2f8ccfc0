/** Unified diffs of text (`diff -u` format, 3 lines of context), computed by jsdiff. Pure. */
import { structuredPatch } from 'diff';

/** GNU diff's hunk range: `start` alone for one line, `start-1,0` for none (jsdiff counts from the next line). */
function range(start: number, lines: number): string {
  if (lines === 0) return `${start - 1},0`;
  return lines === 1 ? `${start}` : `${start},${lines}`;
}

/**
 * `diff -u` of two texts with the given names, as GNU diff prints it; '' when they are equal. An
 * empty text stands for a missing file (`diff -N`).
 */
export function unifiedDiff(a: string, b: string, nameA: string, nameB: string, context = 3): string {
  if (a === b) return '';
  const patch = structuredPatch(nameA, nameB, a, b, undefined, undefined, { context });
  let out = `--- ${nameA}\n+++ ${nameB}\n`;
  for (const h of patch.hunks) {
    out += `@@ -${range(h.oldStart, h.oldLines)} +${range(h.newStart, h.newLines)} @@\n`;
    for (const line of h.lines) out += `${line}\n`;
  }
  return out;
}
