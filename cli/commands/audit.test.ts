import { describe, expect, it } from 'vitest';
import type { LogRecord } from '../../crd/api/audit.js';
import { StreamTable } from '../output.js';
import { auditRow } from './audit.js';

const HEADERS = ['TIME', 'IMAGE', 'TRANSITION', 'TAGS', 'REASON'];
const rec = (o: Partial<LogRecord>): LogRecord => ({ time: '2026-01-01T00:00:00.000Z', image: null, tags: [], from: null, to: 'succeeded', event: 'api.apply', reason: '', actor: 'uid:0', ...o });

/** Where each column starts in the header line. */
const starts = (header: string) => HEADERS.map((h) => header.indexOf(h));

describe('audit table', () => {
  it('aligns API calls and transitions in one table: every column starts where its header does', () => {
    const t = new StreamTable(HEADERS);
    t.add(auditRow(rec({ reason: 'applied imagepolicy/demo (created)' })));
    t.add(auditRow(rec({ event: 'api.rmi', to: 'failed', actor: 'group:1001', image: `sha256:${'a'.repeat(64)}`, tags: ['demo/app:1'], reason: 'in use' })));
    t.add(auditRow(rec({ event: 'observe', from: 'idle', to: 'removable', actor: 'agent', image: `sha256:${'b'.repeat(64)}`, tags: ['registry.local/team/app:1.2', 'app:latest'], reason: 'rule demo/removal[0]: idle 2h >= 1h' })));
    t.add(auditRow(rec({ event: 'observe', from: null, to: 'idle', actor: 'agent', image: `sha256:${'c'.repeat(64)}`, tags: [], reason: 'first seen' })));
    const lines = t.flush().trimEnd().split('\n');
    expect(lines[1]).toContain('api.apply -> succeeded (uid:0)');
    expect(lines[4]).toContain('<new> -> idle');
    const cols = starts(lines[0]!);
    for (const line of lines.slice(1)) {
      for (const c of cols.slice(1)) {
        expect(line.slice(c - 3, c)).toBe('   ');
        expect(line[c]).not.toBe(' ');
      }
    }
  });

  it('escapes control characters in a record, so one record stays one row', () => {
    const t = new StreamTable(HEADERS);
    t.add(auditRow(rec({ event: 'api.pull', to: 'failed', reason: 'registry said: \x1b[2J\nfake row', tags: ['a:1'] })));
    const out = t.flush();
    expect(out.split('\n')).toHaveLength(3);
    expect(out).toContain('registry said: \\x1b[2J\\nfake row');
    expect(out).not.toContain('\x1b');
  });
});
