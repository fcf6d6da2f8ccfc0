/**
 * The design card's layout, read from the code itself: the product's files, their relative imports,
 * the packages they load, and the size of each file and function (with the TypeScript compiler's
 * parser, so a brace in a string is not a block). test/layout/layout.test.ts holds the rules.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import ts from 'typescript';

export const ROOT = join(import.meta.dirname, '..', '..');
/** The product's folders: what `bin/imagectl.js` can reach. */
export const PRODUCT = ['cli', 'controller', 'crd', 'statemachines'];
/** Generated code is exempt from the size rules (it says so in its first lines). */
const GENERATED = /^\/\/ @ts-nocheck\n\/\/ GENERATED/;

export interface SourceFile {
  /** path from the repository root, `/`-separated */
  path: string;
  text: string;
  lines: number;
  generated: boolean;
  /** other product files it imports (paths from the root), type-only imports included */
  imports: string[];
  /** bare module specifiers (`node:fs`, `level`, `dockerode`) */
  packages: string[];
  /** functions, methods and arrow functions longer than nothing: name and line count */
  functions: { name: string; line: number; lines: number }[];
}

function walk(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...walk(p));
    else if (p.endsWith('.ts') && !p.endsWith('.test.ts') && !p.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

/** Module specifiers of a parsed file: imports, re-exports, dynamic imports, `import('x')` types. */
export function specifiers(sf: ts.SourceFile): string[] {
  const out: string[] = [];
  const visit = (n: ts.Node) => {
    if ((ts.isImportDeclaration(n) || ts.isExportDeclaration(n)) && n.moduleSpecifier && ts.isStringLiteral(n.moduleSpecifier)) out.push(n.moduleSpecifier.text);
    else if (ts.isCallExpression(n) && n.expression.kind === ts.SyntaxKind.ImportKeyword && n.arguments[0] && ts.isStringLiteral(n.arguments[0])) out.push(n.arguments[0].text);
    else if (ts.isImportTypeNode(n) && ts.isLiteralTypeNode(n.argument) && ts.isStringLiteral(n.argument.literal)) out.push(n.argument.literal.text);
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return out;
}

function functionName(n: ts.Node): string {
  const named = n as ts.Node & { name?: ts.Node };
  if (named.name && (ts.isIdentifier(named.name) || ts.isPrivateIdentifier(named.name))) return named.name.text;
  const p = n.parent;
  if (p && ts.isVariableDeclaration(p) && ts.isIdentifier(p.name)) return p.name.text;
  if (p && ts.isPropertyAssignment(p) && ts.isIdentifier(p.name)) return p.name.text;
  return '<anonymous>';
}

function functionsOf(sf: ts.SourceFile): SourceFile['functions'] {
  const out: SourceFile['functions'] = [];
  const visit = (n: ts.Node) => {
    if ((ts.isFunctionDeclaration(n) || ts.isMethodDeclaration(n) || ts.isArrowFunction(n) || ts.isFunctionExpression(n) || ts.isConstructorDeclaration(n) || ts.isGetAccessor(n)) && n.body) {
      const start = sf.getLineAndCharacterOfPosition(n.getStart(sf)).line;
      const end = sf.getLineAndCharacterOfPosition(n.getEnd()).line;
      out.push({ name: ts.isConstructorDeclaration(n) ? 'constructor' : functionName(n), line: start + 1, lines: end - start + 1 });
    }
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return out;
}

/** The file a relative import names (`./x.js` is `./x.ts`), as a path from the root, or null. */
export function resolveImport(from: string, spec: string): string | null {
  const base = normalize(join(dirname(from), spec));
  for (const c of [base.replace(/\.js$/, '.ts'), base, `${base}.ts`]) {
    try {
      if (statSync(join(ROOT, c)).isFile()) return c.split('\\').join('/');
    } catch {
      // try the next form
    }
  }
  return null;
}

/** Every product file, read and parsed. */
export function readProduct(): SourceFile[] {
  const files = PRODUCT.flatMap((d) => walk(join(ROOT, d))).map((abs) => relative(ROOT, abs).split('\\').join('/'));
  return files.map((path) => {
    const text = readFileSync(join(ROOT, path), 'utf8');
    const sf = ts.createSourceFile(path, text, ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS);
    const specs = specifiers(sf);
    const imports = specs.filter((s) => s.startsWith('.')).map((s) => resolveImport(path, s) ?? `unresolved:${s}`);
    return {
      path, text, lines: text.split('\n').length - (text.endsWith('\n') ? 1 : 0), generated: GENERATED.test(text),
      imports, packages: specs.filter((s) => !s.startsWith('.')), functions: functionsOf(sf),
    };
  });
}

/** The import cycles among `nodes` (strongly connected components of more than one node, or a self-loop). */
export function cycles(edges: Map<string, Set<string>>): string[][] {
  let index = 0;
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const on = new Set<string>();
  const out: string[][] = [];
  const strong = (v: string) => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    on.add(v);
    for (const w of edges.get(v) ?? []) {
      if (!idx.has(w)) {
        strong(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (on.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
    }
    if (low.get(v) === idx.get(v)) {
      const comp: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        on.delete(w);
        comp.push(w);
      } while (w !== v);
      if (comp.length > 1 || edges.get(v)?.has(v)) out.push(comp.sort());
    }
  };
  for (const v of edges.keys()) if (!idx.has(v)) strong(v);
  return out;
}
