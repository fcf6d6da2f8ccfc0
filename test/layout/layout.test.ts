/**
 * The design card (SPEC §7), checked on every `npm test`: the top level, which way imports point,
 * no import cycles between files or folders, no I/O in crd/ and statemachines/, and small files
 * and functions.
 */
import { execFileSync } from 'node:child_process';
import { dirname } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cycles, readProduct, ROOT } from './layout.js';

const files = readProduct();
const top = (p: string) => p.split('/')[0]!;
const MAX_FILE_LINES = 300;
const MAX_FUNCTION_LINES = 60;

/** Modules that do I/O (files, network, processes, the store, the engine). */
const IO_MODULES = /^(node:)?(fs|fs\/promises|http|https|http2|net|tls|dgram|child_process|worker_threads|cluster)$|^(level|classic-level|abstract-level|dockerode|docker-modem|@nats-io\/.*)$/;
/** Build scripts that write generated files beside what they generate; never loaded at run time. */
const BUILD_SCRIPTS = new Set(['crd/precompiled/generate.ts', 'crd/precompiled/generate-types.ts', 'controller/fleet/dashboard/build-page.ts']);
/** The CLI reaches into controller/ only to start a daemon and to use the fleet client (SPEC §7). */
const CLI_STARTS_DAEMONS = /^cli\/commands\/(agent|fleet[-\w]*)\.ts$/;
const CLI_MAY_USE = /^controller\/(agent|fleet)\//;

/**
 * The fleet dashboard's page is browser code, bundled by controller/fleet/dashboard/build-page.ts:
 * it imports only its own folder, the dashboard's wire types, formatting and record retention
 * (shared with the server, pure, no imports) and pure crd/ modules, and no package but its chart library; nothing else imports it.
 */
const PAGE = /^controller\/fleet\/dashboard\/page\//;
const PAGE_MAY_IMPORT = /^(controller\/fleet\/dashboard\/page\/|controller\/fleet\/dashboard\/(wire|format|recent)\.ts$|crd\/)/;
const PAGE_PACKAGES = new Set(['uplot']);

/** Which top-level folders each may import (itself included). */
const MAY_IMPORT: Record<string, string[]> = {
  cli: ['cli', 'crd'],
  controller: ['controller', 'statemachines', 'crd'],
  statemachines: ['statemachines', 'crd'],
  crd: ['crd'],
};

describe('the design card', () => {
  it('has only the card\'s folders at the top level', () => {
    const tracked = execFileSync('git', ['ls-files'], { cwd: ROOT, encoding: 'utf8' }).split('\n').filter((l) => l.includes('/'));
    const folders = [...new Set(tracked.map(top))].sort();
    expect(folders.filter((f) => !['.ci', 'bin', 'cli', 'controller', 'crd', 'manifests', 'statemachines', 'test'].includes(f))).toEqual([]);
  });

  it('resolves every relative import of the product', () => {
    expect(files.flatMap((f) => f.imports.filter((i) => i.startsWith('unresolved:')).map((i) => `${f.path} -> ${i}`))).toEqual([]);
  });

  it('points imports one way: cli -> crd; controller -> statemachines -> crd', () => {
    const wrong: string[] = [];
    for (const f of files) {
      for (const i of f.imports) {
        if (MAY_IMPORT[top(f.path)]!.includes(top(i)) || i === 'package.json') continue;
        if (top(f.path) === 'cli' && CLI_STARTS_DAEMONS.test(f.path) && CLI_MAY_USE.test(i)) continue;
        wrong.push(`${f.path} -> ${i}`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it('keeps the dashboard page browser code (its own folder, the wire types, pure crd/, uplot) and out of the server\'s imports', () => {
    const wrong: string[] = [];
    for (const f of files) {
      if (PAGE.test(f.path)) {
        wrong.push(...f.imports.filter((i) => !PAGE_MAY_IMPORT.test(i)).map((i) => `${f.path} -> ${i}`));
        wrong.push(...f.packages.filter((p) => !PAGE_PACKAGES.has(p)).map((p) => `${f.path} imports ${p}`));
      } else {
        wrong.push(...f.imports.filter((i) => PAGE.test(i) || BUILD_SCRIPTS.has(i)).map((i) => `${f.path} -> ${i}`));
      }
    }
    expect(wrong).toEqual([]);
  });

  it('has no import cycle between files', () => {
    expect(cycles(new Map(files.map((f) => [f.path, new Set(f.imports)])))).toEqual([]);
  });

  it('has no import cycle between folders (a folder and the folders inside it count as one)', () => {
    const within = (a: string, b: string) => a === b || a.startsWith(`${b}/`) || b.startsWith(`${a}/`);
    const edges = new Map<string, Set<string>>();
    for (const f of files) {
      const from = dirname(f.path);
      for (const i of f.imports) {
        const to = dirname(i);
        if (within(from, to)) continue;
        if (!edges.has(from)) edges.set(from, new Set());
        edges.get(from)!.add(to);
      }
    }
    expect(cycles(edges)).toEqual([]);
  });

  it('does no I/O in crd/ and statemachines/ (no fs, http, net, level, dockerode)', () => {
    const io = files
      .filter((f) => ['crd', 'statemachines'].includes(top(f.path)) && !BUILD_SCRIPTS.has(f.path))
      .flatMap((f) => f.packages.filter((p) => IO_MODULES.test(p)).map((p) => `${f.path} imports ${p}`));
    expect(io).toEqual([]);
  });

  it(`keeps product files under ${MAX_FILE_LINES} lines (generated ones aside)`, () => {
    expect(files.filter((f) => !f.generated && f.lines > MAX_FILE_LINES).map((f) => `${f.path}: ${f.lines} lines`)).toEqual([]);
  });

  it(`keeps functions under ${MAX_FUNCTION_LINES} lines`, () => {
    const long = files.filter((f) => !f.generated).flatMap((f) => f.functions.filter((fn) => fn.lines > MAX_FUNCTION_LINES).map((fn) => `${f.path}:${fn.line} ${fn.name}: ${fn.lines} lines`));
    expect(long).toEqual([]);
  });

  it('notices what it is meant to notice (the checks themselves)', () => {
    const edges = new Map([['a', new Set(['b'])], ['b', new Set(['c'])], ['c', new Set(['a'])], ['d', new Set(['a'])]]);
    expect(cycles(edges)).toEqual([['a', 'b', 'c']]);
    expect(IO_MODULES.test('node:fs')).toBe(true);
    expect(IO_MODULES.test('dockerode')).toBe(true);
    expect(IO_MODULES.test('node:crypto')).toBe(false);
    const engine = files.find((f) => f.path === 'controller/store/store.ts');
    expect(engine?.packages).toContain('level');
    expect(files.some((f) => f.functions.length > 0 && f.functions.every((fn) => fn.lines > 0))).toBe(true);
  });
});
