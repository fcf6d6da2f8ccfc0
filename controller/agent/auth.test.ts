import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bearerCheck, groupId, parseListen, readTokenFile } from './auth.js';

describe('bearerCheck', () => {
  const ok = bearerCheck('s3cret-token-0123456789');
  it('accepts exactly the token', () => {
    expect(ok('Bearer s3cret-token-0123456789')).toBe(true);
  });
  it('refuses a missing, malformed, shorter, longer or different token', () => {
    for (const h of [undefined, '', 'Bearer', 'Bearer ', 'bearer s3cret-token-0123456789', 'Basic s3cret-token-0123456789', 'Bearer s3cret-token-012345678', 'Bearer s3cret-token-01234567890', 'Bearer S3cret-token-0123456789']) {
      expect(ok(h), String(h)).toBe(false);
    }
  });
});

describe('parseListen', () => {
  it('reads HOST:PORT, a bare port on loopback, and refuses the rest', () => {
    expect(parseListen('127.0.0.1:7443')).toEqual({ host: '127.0.0.1', port: 7443 });
    expect(parseListen('7443')).toEqual({ host: '127.0.0.1', port: 7443 });
    expect(parseListen('[::1]:80')).toEqual({ host: '::1', port: 80 });
    for (const bad of ['', 'x', '127.0.0.1:', '127.0.0.1:0', '127.0.0.1:70000']) expect(() => parseListen(bad), bad).toThrow(/--listen/);
  });
});

describe('groupId', () => {
  const etc = 'root:x:0:\ndocker:x:998:alice\nimagectl:x:1234:\n';
  it('resolves names and numbers', () => {
    expect(groupId('imagectl', etc)).toBe(1234);
    expect(groupId('42', etc)).toBe(42);
    expect(() => groupId('nope', etc)).toThrow(/no group/);
  });
});

describe('readTokenFile', () => {
  // finding 10 of the security issue: token files with mode 0640 or 0660 were accepted
  it('takes only a file of the agent user with no group or other permissions (0600, 0400)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ictl-token-'));
    const file = join(dir, 'token');
    writeFileSync(file, 'a1b2c3d4e5f6a7b8c9d0\n');
    const me = process.geteuid!();
    for (const mode of [0o600, 0o400]) {
      chmodSync(file, mode);
      expect(readTokenFile(file, { uid: me })).toBe('a1b2c3d4e5f6a7b8c9d0');
    }
    for (const mode of [0o640, 0o660, 0o604, 0o644]) {
      chmodSync(file, mode);
      expect(() => readTokenFile(file, { uid: me }), mode.toString(8)).toThrow(`is accessible to other users (mode 0${mode.toString(8)}); chmod 600 it`);
    }
    chmodSync(file, 0o600);
    expect(() => readTokenFile(file, { uid: me + 1 })).toThrow(`is owned by uid ${me}, not by the agent's user (uid ${me + 1})`);
    expect(() => readTokenFile(dir, { uid: me })).toThrow(/not a regular file|cannot read/);
  });
});
