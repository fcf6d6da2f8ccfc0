import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CliError } from './client.js';
import { VERSION } from '../crd/api/version.js';
import { parseOutput, printable, StreamTable, table } from './output.js';

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

describe('printable', () => {
  it('escapes what a terminal would act on: controls, DEL, C1 and bidi overrides; leaves the rest', () => {
    expect(printable('plain ümlaut 日本 ✓')).toBe('plain ümlaut 日本 ✓');
    expect(printable('a\nb\rc\td')).toBe('a\\nb\\rc\\td');
    expect(printable('\x1b[31mred\x1b[0m\x07')).toBe('\\x1b[31mred\\x1b[0m\\x07');
    expect(printable('\x00\x7f\x9b')).toBe('\\x00\\x7f\\x9b');
    expect(printable('abc\u202edcba\u2066x\u2069')).toBe('abc\\u202edcba\\u2066x\\u2069');
  });
});

describe('table', () => {
  it('aligns columns to the widest cell, three spaces apart, the last one unpadded', () => {
    expect(table(['NAME', 'STATE', 'REASON'], [['a', 'in-use', 'x'], ['longer-name', 'idle', 'y z']])).toBe(
      'NAME          STATE    REASON\na             in-use   x\nlonger-name   idle     y z\n',
    );
    expect(table(['NAME', 'AGE'], [])).toBe('NAME   AGE\n');
  });

  it('prints every cell escaped, so a value with a newline or ESC stays on its row and in its column', () => {
    const out = table(['NAME', 'MESSAGE'], [['a\nb', 'pull failed: \x1b]0;owned\x07'], ['c', 'ok']]);
    expect(out).toBe('NAME   MESSAGE\na\\nb   pull failed: \\x1b]0;owned\\x07\nc      ok\n');
    expect(out.split('\n')).toHaveLength(4);
  });
});

describe('StreamTable', () => {
  it('prints the header once, then each batch with the columns as wide as the widest cell so far', () => {
    const t = new StreamTable(['A', 'B', 'C']);
    t.add(['x', 'yy', 'z']);
    expect(t.flush()).toBe('A   B    C\nx   yy   z\n');
    expect(t.flush()).toBe('');
    t.add(['wide-one', 'y', 'z']);
    t.add(['x', 'y', 'z']);
    expect(t.held).toBe(2);
    // B keeps the width it had: what was printed is not reflowed
    expect(t.flush()).toBe('wide-one   y    z\nx          y    z\n');
  });
});
