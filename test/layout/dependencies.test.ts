/**
 * Every package the code imports is declared in package.json, and what the product loads at run
 * time is in `dependencies` (an install without devDependencies runs it). "At run time" is read from
 * the JavaScript TypeScript emits for each file, so imports of types only do not count: the walk
 * starts at cli/main.ts (what bin/imagectl.js loads) and follows the relative imports, static and
 * dynamic, that the emitted code keeps.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { PRODUCT, resolveImport, ROOT, specifiers } from './layout.js';

const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { dependencies?: Record<string, string>; devDependencies?: Record<string, string>; engines?: { node?: string } };
const deps = new Set(Object.keys(pkg.dependencies ?? {}));
const declared = new Set([...deps, ...Object.keys(pkg.devDependencies ?? {})]);

/** Module specifiers of a TypeScript or JavaScript text. */
function specifiersOf(path: string, text: string): string[] {
  return specifiers(ts.createSourceFile(path, text, ts.ScriptTarget.ES2022, true, path.endsWith('.ts') ? ts.ScriptKind.TS : ts.ScriptKind.JS));
}

/** What a file loads when it runs: the specifiers left in the JavaScript that TypeScript emits for it. */
function runtimeSpecifiers(path: string, text: string): string[] {
  const js = ts.transpileModule(text, { fileName: path, compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } }).outputText;
  return specifiersOf(path.replace(/\.ts$/, '.js'), js);
}

const isBuiltin = (s: string) => s.startsWith('node:') || builtinModules.includes(s.split('/')[0]!);
/** `@scope/name/sub` → `@scope/name`, `ajv/dist/x.js` → `ajv`. */
const packageOf = (s: string) => s.split('/').slice(0, s.startsWith('@') ? 2 : 1).join('/');

/** The packages each product file reached from `entry` loads at run time, by file. */
function reachedFrom(entry: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const queue = [entry];
  while (queue.length > 0) {
    const file = queue.pop()!;
    if (out.has(file)) continue;
    const specs = runtimeSpecifiers(file, readFileSync(join(ROOT, file), 'utf8'));
    out.set(file, specs.filter((s) => !s.startsWith('.') && !isBuiltin(s)).map(packageOf));
    for (const s of specs.filter((x) => x.startsWith('.'))) {
      const target = resolveImport(file, s);
      if (!target) throw new Error(`${file}: cannot resolve ${s}`);
      if (target.endsWith('.ts')) queue.push(target);
    }
  }
  return out;
}

/** Every tracked .ts file of the product and the tests (generated validators included). */
function allSources(): string[] {
  return execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '*.ts'], { cwd: ROOT, encoding: 'utf8' })
    .split('\n')
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts') && [...PRODUCT, 'test'].includes(f.split('/')[0]!));
}

describe('package.json', () => {
  const reached = reachedFrom('cli/main.ts');

  it('declares in dependencies every package the product loads at run time (from cli/main.ts)', () => {
    const missing = [...reached].flatMap(([file, packages]) => packages.filter((p) => !deps.has(p)).map((p) => `${file} loads ${p}`));
    expect(missing).toEqual([]);
    // the walk covers the agent and the CLI, and sees what it should
    expect(reached.has('controller/store/store.ts')).toBe(true);
    expect(reached.get('cli/output.ts')).toContain('yaml'); // a dynamic import counts
  });

  it('does not load ajv at run time: the validators are precompiled (crd/precompiled/), so ajv is a devDependency', () => {
    expect([...reached].filter(([, p]) => p.includes('ajv')).map(([f]) => f)).toEqual([]);
    expect(pkg.devDependencies).toHaveProperty('ajv');
    expect(pkg.dependencies).not.toHaveProperty('ajv');
  });

  it('declares every package any file imports, types included', () => {
    const missing: string[] = [];
    for (const file of allSources()) {
      for (const s of specifiersOf(file, readFileSync(join(ROOT, file), 'utf8'))) {
        if (s.startsWith('.') || isBuiltin(s)) continue;
        const p = packageOf(s);
        if (!declared.has(p) && !declared.has(`@types/${p}`)) missing.push(`${file} imports ${p}`);
      }
    }
    expect(missing).toEqual([]);
  });

  it('asks for a Node that has import attributes (`with { type: "json" }`, Node 20.10)', () => {
    expect(pkg.engines?.node).toBe('>=20.10');
    expect(specifiersOf('crd/kinds.ts', readFileSync(join(ROOT, 'crd/kinds.ts'), 'utf8'))).toContain('./imagepolicy/schema.json');
  });

  it('reads imports as they run (the checks themselves)', () => {
    const src = "import type { A } from 'only-types';\nimport { B, type C } from 'used';\nimport { D } from 'type-use';\nlet x: D;\nexport { B };\nconst y = () => import('lazy');\n";
    expect(runtimeSpecifiers('x.ts', src).sort()).toEqual(['lazy', 'used']);
    expect(packageOf('@nats-io/jetstream/lib')).toBe('@nats-io/jetstream');
    expect(packageOf('ajv/dist/standalone/index.js')).toBe('ajv');
    expect(isBuiltin('fs/promises')).toBe(true);
    expect(isBuiltin('node:test')).toBe(true);
  });
});
