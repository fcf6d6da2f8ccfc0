/** Unified diffs of text (`diff -u` format, 3 lines of context). Pure. */

type Op = { type: ' ' | '-' | '+'; line: string };

/** Past this many line pairs, the longest-common-subsequence table is too big: show a full replace. */
const MAX_CELLS = 4_000_000;

function lines(text: string): string[] {
  if (text === '') return [];
  return text.replace(/\n$/, '').split('\n');
}

/** The edit script from a to b, by longest common subsequence. */
function editScript(a: string[], b: string[]): Op[] {
  // trim the common head and tail: manifests usually differ in a few lines
  let head = 0;
  while (head < a.length && head < b.length && a[head] === b[head]) head++;
  let tail = 0;
  while (tail < a.length - head && tail < b.length - head && a[a.length - 1 - tail] === b[b.length - 1 - tail]) tail++;
  const A = a.slice(head, a.length - tail);
  const B = b.slice(head, b.length - tail);
  const middle: Op[] = [];
  if ((A.length + 1) * (B.length + 1) > MAX_CELLS) {
    middle.push(...A.map((line) => ({ type: '-' as const, line })), ...B.map((line) => ({ type: '+' as const, line })));
  } else {
    const w = B.length + 1;
    const lcs = new Uint32Array((A.length + 1) * w);
    for (let i = A.length - 1; i >= 0; i--) {
      for (let j = B.length - 1; j >= 0; j--) {
        lcs[i * w + j] = A[i] === B[j] ? lcs[(i + 1) * w + j + 1]! + 1 : Math.max(lcs[(i + 1) * w + j]!, lcs[i * w + j + 1]!);
      }
    }
    let i = 0;
    let j = 0;
    while (i < A.length || j < B.length) {
      if (i < A.length && j < B.length && A[i] === B[j]) {
        middle.push({ type: ' ', line: A[i]! });
        i++;
        j++;
      } else if (i < A.length && (j === B.length || lcs[(i + 1) * w + j]! >= lcs[i * w + j + 1]!)) middle.push({ type: '-', line: A[i++]! });
      else middle.push({ type: '+', line: B[j++]! });
    }
  }
  return [...a.slice(0, head).map((line) => ({ type: ' ' as const, line })), ...middle, ...a.slice(a.length - tail).map((line) => ({ type: ' ' as const, line }))];
}

/**
 * `diff -u` of two texts with the given names; '' when they are equal. An empty text stands for a
 * missing file (`diff -N`).
 */
export function unifiedDiff(a: string, b: string, nameA: string, nameB: string, context = 3): string {
  if (a === b) return '';
  const ops = editScript(lines(a), lines(b));
  const changed = ops.map((o, i) => (o.type !== ' ' ? i : -1)).filter((i) => i >= 0);
  // group changes whose context windows touch into hunks
  const hunks: [number, number][] = [];
  for (const i of changed) {
    const last = hunks.at(-1);
    if (last && i - last[1] <= 2 * context) last[1] = i;
    else hunks.push([i, i]);
  }
  let out = `--- ${nameA}\n+++ ${nameB}\n`;
  for (const [first, last] of hunks) {
    const from = Math.max(0, first - context);
    const to = Math.min(ops.length - 1, last + context);
    // line numbers: count the lines of a and b before `from`
    let aStart = 1;
    let bStart = 1;
    for (let k = 0; k < from; k++) {
      if (ops[k]!.type !== '+') aStart++;
      if (ops[k]!.type !== '-') bStart++;
    }
    const body = ops.slice(from, to + 1);
    const aLen = body.filter((o) => o.type !== '+').length;
    const bLen = body.filter((o) => o.type !== '-').length;
    const range = (start: number, len: number) => (len === 1 ? `${start}` : `${len === 0 ? start - 1 : start},${len}`);
    out += `@@ -${range(aStart, aLen)} +${range(bStart, bLen)} @@\n`;
    for (const o of body) out += `${o.type}${o.line}\n`;
  }
  return out;
}
