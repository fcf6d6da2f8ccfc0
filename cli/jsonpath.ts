/**
 * kubectl's JSONPath template dialect (`-o jsonpath=TEMPLATE`): text with `{expressions}`, where an
 * expression is a path (`{.a.b}`, `{.items[*].x}`, `{$.kind}`, `{@}`, `{..name}`, filters
 * `{.items[?(@.status.state=="idle")].metadata.name}`, escaped dots `{.labels.kubernetes\.io/arch}`),
 * a quoted string (`{"\n"}`), or `{range PATH}…{end}`. Several results of one path print separated
 * by spaces; strings print as they are, objects and lists as JSON; a missing key prints nothing
 * (kubectl's --allow-missing-template-keys). The template syntax is parsed here; the paths are
 * evaluated by jsonpath-plus (safe evaluation of filters, no JavaScript `eval`).
 */
import { JSONPath } from 'jsonpath-plus';
import { CliError } from './client.js';

type Node = { t: 'text'; v: string } | { t: 'path'; path: string } | { t: 'range'; path: string; body: Node[] };

const fail = (why: string) => new CliError(`error: error parsing jsonpath: ${why}`);

/** The index of the `}` that closes the action opening at `from` (quotes and brackets skipped). */
function closing(src: string, from: number): number {
  let depth = 0;
  for (let i = from; i < src.length; i++) {
    const c = src[i]!;
    if (c === '"' || c === "'") {
      i = skipQuoted(src, i);
      continue;
    }
    if (c === '[' || c === '(') depth++;
    else if (c === ']' || c === ')') depth--;
    else if (c === '}' && depth <= 0) return i;
  }
  throw fail(`unclosed action in ${JSON.stringify(src)}`);
}

function skipQuoted(src: string, at: number): number {
  const q = src[at]!;
  for (let i = at + 1; i < src.length; i++) {
    if (src[i] === '\\') i++;
    else if (src[i] === q) return i;
  }
  throw fail(`unterminated quoted string in ${JSON.stringify(src)}`);
}

/** Parse a template into text, paths and ranges. */
export function parseTemplate(src: string): Node[] {
  const stack: Node[][] = [[]];
  const ranges: Extract<Node, { t: 'range' }>[] = [];
  let i = 0;
  while (i < src.length) {
    const open = src.indexOf('{', i);
    if (open < 0) {
      stack.at(-1)!.push({ t: 'text', v: src.slice(i) });
      break;
    }
    if (open > i) stack.at(-1)!.push({ t: 'text', v: src.slice(i, open) });
    const close = closing(src, open + 1);
    const expr = src.slice(open + 1, close).trim();
    i = close + 1;
    if (expr === 'end') {
      if (ranges.length === 0) throw fail('not in range, nothing to end');
      ranges.pop();
      stack.pop();
    } else if (/^range\s/.test(expr)) {
      const r: Extract<Node, { t: 'range' }> = { t: 'range', path: expr.slice(5).trim(), body: [] };
      stack.at(-1)!.push(r);
      ranges.push(r);
      stack.push(r.body);
    } else if (expr.startsWith('"')) {
      try {
        stack.at(-1)!.push({ t: 'text', v: JSON.parse(expr) as string });
      } catch {
        throw fail(`bad quoted string ${expr}`);
      }
    } else {
      toJsonPath(expr); // syntax errors show before anything prints
      stack.at(-1)!.push({ t: 'path', path: expr });
    }
  }
  if (ranges.length > 0) throw fail('unclosed range: add {end}');
  return stack[0]!;
}

/** A kubectl field name as jsonpath-plus bracket notation (`k8s-app`, `kubernetes.io/arch`). */
const bracket = (name: string) => (name === '*' ? '[*]' : `['${name.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}']`);

/** Read a field name at `i` (up to an unescaped `.`, `[`, space or operator); `\.` is a dot. */
function fieldAt(s: string, i: number, stop = /[.[\s]/): { name: string; end: number } {
  let name = '';
  for (; i < s.length && !stop.test(s[i]!); i++) {
    if (s[i] === '\\' && s[i + 1] === '.') {
      name += '.';
      i++;
    } else name += s[i];
  }
  return { name, end: i };
}

/** A filter `?(…)`: its `@` paths in bracket notation, quotes single, operators spaced (jsep's taste). */
function convertFilter(f: string): string {
  let out = '';
  for (let i = 0; i < f.length; i++) {
    const c = f[i]!;
    if (c === '"' || c === "'") {
      const end = skipQuoted(f, i);
      out += `'${f.slice(i + 1, end).replace(/'/g, "\\'")}'`;
      i = end;
    } else if (c === '@') {
      out += '@';
      while (f[i + 1] === '.') {
        const { name, end } = fieldAt(f, i + 2, /[.[\s=!<>&|)]/);
        out += bracket(name);
        i = end - 1;
      }
    } else if (/[=!<>]/.test(c)) {
      const op = /^(==|!=|<=|>=|<|>)/.exec(f.slice(i))?.[1] ?? c;
      out += ` ${op} `;
      i += op.length - 1;
    } else out += c;
  }
  return out;
}

/** One `[…]` step: filters, unions, slices; a negative index becomes a slice (kubectl's `[-1]`). */
function convertBracket(inner: string): string {
  const s = inner.trim();
  if (s.startsWith('?')) return `[?(${convertFilter(s.replace(/^\?\s*\(/, '').replace(/\)$/, ''))})]`;
  const neg = /^-(\d+)$/.exec(s);
  if (neg) return neg[1] === '1' ? '[-1:]' : `[-${neg[1]}:-${Number(neg[1]) - 1}]`;
  return `[${s.replace(/"([^"]*)"/g, "'$1'")}]`;
}

/** A kubectl path as a jsonpath-plus path, and whether it starts at the root (`$`) or the current node. */
export function toJsonPath(expr: string): { fromRoot: boolean; path: string } {
  let s = expr.trim();
  const fromRoot = s.startsWith('$');
  if (fromRoot || s.startsWith('@')) s = s.slice(1);
  if (s !== '' && !s.startsWith('.') && !s.startsWith('[')) throw fail(`unrecognized identifier ${s}`);
  let out = '$';
  for (let i = 0; i < s.length;) {
    if (s[i] === '.' && s[i + 1] === '.') {
      while (s[i] === '.') i++;
      out += '..';
      if (s[i] === '[') continue;
      const { name, end } = fieldAt(s, i);
      out += name === '*' ? '*' : bracket(name);
      i = end;
    } else if (s[i] === '.') {
      const { name, end } = fieldAt(s, i + 1);
      if (name !== '') out += bracket(name);
      i = end;
    } else if (s[i] === '[') {
      const end = bracketEnd(s, i);
      out += convertBracket(s.slice(i + 1, end));
      i = end + 1;
    } else throw fail(`unexpected ${JSON.stringify(s[i])} in ${JSON.stringify(expr)}`);
  }
  return { fromRoot, path: out };
}

function bracketEnd(s: string, open: number): number {
  let depth = 0;
  for (let i = open; i < s.length; i++) {
    if (s[i] === '"' || s[i] === "'") i = skipQuoted(s, i);
    else if (s[i] === '[') depth++;
    else if (s[i] === ']' && --depth === 0) return i;
  }
  throw fail(`unclosed [ in ${JSON.stringify(s)}`);
}

/** Every value `expr` selects, from `current` (or from `root` for `$…`). */
export function evalPath(expr: string, current: unknown, root: unknown = current): unknown[] {
  const { fromRoot, path } = toJsonPath(expr);
  if (path === '$') return [fromRoot ? root : current];
  const json = (fromRoot ? root : current) as object;
  if (json === null || typeof json !== 'object') return [];
  try {
    return JSONPath({ path, json, wrap: true, eval: 'safe' }) as unknown[];
  } catch (err) {
    throw new CliError(`error: error executing jsonpath ${JSON.stringify(expr)}: ${(err as Error).message}`);
  }
}

/** A value as kubectl's jsonpath prints it. */
export function show(v: unknown): string {
  if (typeof v === 'string') return v;
  if (v === undefined) return '';
  return JSON.stringify(v);
}

function render(nodes: Node[], current: unknown, root: unknown): string {
  let out = '';
  for (const n of nodes) {
    if (n.t === 'text') out += n.v;
    else if (n.t === 'path') out += evalPath(n.path, current, root).map(show).join(' ');
    else {
      let each = evalPath(n.path, current, root);
      if (each.length === 1 && Array.isArray(each[0])) each = each[0] as unknown[];
      for (const item of each) out += render(n.body, item, root);
    }
  }
  return out;
}

/** A parsed template, ready to print objects. */
export function jsonpathTemplate(src: string): (data: unknown) => string {
  const nodes = parseTemplate(src);
  return (data) => render(nodes, data, data);
}

/**
 * kubectl's relaxed path for --sort-by and custom-columns: `.a.b`, `{.a.b}` and `a.b` all mean
 * `{.a.b}`.
 */
export function relaxedPath(s: string): string {
  const m = /^\{?\s*([^{}]*?)\s*\}?$/.exec(s.trim());
  if (!m || m[1] === '') throw fail(`unexpected path string ${JSON.stringify(s)}`);
  const p = m[1]!;
  return p.startsWith('.') || p.startsWith('[') || p.startsWith('$') || p.startsWith('@') ? p : `.${p}`;
}
