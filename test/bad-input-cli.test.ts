/**
 * The bad-input corpus through the real CLI against a running agent: every case exits non-zero
 * within 2 s with file:line:col and the JSON path, never crashes, and changes nothing in the store.
 * One agent serves every case.
 */
import { mkdtempSync, readdirSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BAD_INPUT, type Expected } from './bad-input-expectations.js';
import { AgentProcess } from './helpers/agent.js';
import { stackInfo } from './stack/context.js';

const CORPUS = resolve(import.meta.dirname, 'bad-input');
const scratch = mkdtempSync(join(tmpdir(), 'ictl-bad-'));
const good = join(scratch, 'good.yaml');
const huge = join(scratch, 'huge-50mb.yaml');

/** Cases made at run time: a 50 MB file has no place in the repository. */
const GENERATED: Record<string, Expected[]> = {
  [huge]: [[1, 1, '', 'file too large: more than 4194304 bytes']],
};

let agent: AgentProcess;
let before: string;

const listing = async () => {
  const p = await agent.cli(['get', 'policies', '-o', 'json']);
  const w = await agent.cli(['get', 'workloads', '-o', 'json']);
  expect(p.code).toBe(0);
  expect(w.code).toBe(0);
  return p.stdout + w.stdout;
};

beforeAll(async () => {
  writeFileSync(good, 'apiVersion: imagectl.dev/v1alpha1\nkind: ImagePolicy\nmetadata:\n  name: would-be-created\nspec:\n  removal:\n    - imageName: "app:*"\n      deleteAfter: 1h\n');
  writeFileSync(huge, '');
  truncateSync(huge, 50 * 1024 * 1024); // 50 MB of NUL bytes, sparse
  agent = new AgentProcess(stackInfo(), AgentProcess.tempStateDir());
  await agent.start();
  const seed = join(scratch, 'seed.yaml');
  writeFileSync(seed, 'apiVersion: imagectl.dev/v1alpha1\nkind: ImagePolicy\nmetadata:\n  name: already-there\n  labels: {team: edge}\nspec:\n  removal:\n    - imageName: "fixture/*:*"\n      deleteAfter: 1h\n');
  expect((await agent.cli(['apply', '-f', seed])).code).toBe(0);
  before = await listing();
});

afterAll(async () => {
  await agent?.dispose();
  rmSync(scratch, { recursive: true, force: true });
});

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

describe('the bad-input corpus through imagectl apply', () => {
  it('has at least 40 cases, each its own file', () => {
    const files = readdirSync(CORPUS);
    expect(files.length + Object.keys(GENERATED).length).toBeGreaterThanOrEqual(40);
    expect(files.sort()).toEqual(Object.keys(BAD_INPUT).sort());
  });

  const cases: [string, string, Expected[]][] = [
    ...Object.entries(BAD_INPUT).map(([name, exp]) => [name, join(CORPUS, name), exp] as [string, string, Expected[]]),
    ...Object.entries(GENERATED).map(([file, exp]) => ['huge-50mb.yaml (generated)', file, exp] as [string, string, Expected[]]),
  ];

  // a hang fails by the test's timeout; how fast the CLI refuses is measured by the bench (B9), not asserted here
  it.each(cases)('%s: exit non-zero with file:line:col and path, applying nothing, never hanging', async (_name, file, expected) => {
    // a good file next to the bad one: all or nothing means it is not created either
    const r = await agent.cli(['apply', '-f', good, '-f', file]);
    expect(r.code).not.toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).not.toMatch(/\n\s+at .+:\d+:\d+\)?\n/); // no stack trace
    expect(r.stderr).not.toMatch(/RangeError|TypeError|Maximum call stack/);
    for (const [line, col, path, fragment] of expected) {
      const where = `${escape(file)}:${line}:${col} ${path ? `${escape(path)}: ` : ''}`;
      const what = typeof fragment === 'string' ? escape(fragment) : fragment.source.replace(/^\^|\$$/g, '');
      expect(r.stderr).toMatch(new RegExp(`(^|\\n)${where}[^\\n]*${what}`));
    }
    expect(r.stderr).toMatch(/error: \d+ problems? found; nothing was applied\n$/);
  });

  it('left the store as it was', async () => {
    expect(await listing()).toBe(before);
    expect(before).toContain('already-there');
    expect(before).not.toContain('would-be-created');
  });
});
