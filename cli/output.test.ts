import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CliError } from './client.js';
import { VERSION } from '../crd/api/version.js';
import { parseOutput } from './output.js';

describe('-o', () => {
  it('an unknown format is a usage error with the choices, not a crash', () => {
    expect(() => parseOutput('nope')).toThrow(CliError);
    expect(() => parseOutput('nope')).toThrow('unknown output format "nope"; use one of: wide, json, yaml, name');
    expect(parseOutput(undefined)).toBe('table');
    expect(parseOutput('json')).toBe('json');
  });

  it('the CLI prints one error line and exits 1 (no stack trace)', () => {
    const bin = resolve(import.meta.dirname, '../bin/imagectl.js');
    let err: { status: number; stderr: string } | undefined;
    try {
      execFileSync(process.execPath, [bin, 'get', 'images', '-o', 'nope', '--socket', '/nonexistent/imagectl.sock'], { encoding: 'utf8', stdio: 'pipe' });
    } catch (e) {
      err = e as { status: number; stderr: string };
    }
    expect(err?.status).toBe(1);
    expect(err?.stderr).toBe('error: unable to match a printer suitable for the output format "nope", allowed formats are: wide,json,yaml,name,jsonpath=,jsonpath-file=,custom-columns=,custom-columns-file=\n');
  });
});

describe('bin/imagectl.js', () => {
  it('runs node with the young generation capped (agent memory), and the test harness spawns it that way', async () => {
    const { NODE_FLAGS } = await import('../test/helpers/agent.js');
    expect(NODE_FLAGS).toEqual(['--max-semi-space-size=2']);
    const out = execFileSync(resolve(import.meta.dirname, '../bin/imagectl.js'), ['version', '--client'], { encoding: 'utf8' });
    expect(out).toBe(`Client Version: ${VERSION}\n`);
  });
});
