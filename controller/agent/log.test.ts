import { describe, expect, it } from 'vitest';
import { createLog } from './log.js';

describe('agent log', () => {
  const capture = (level?: string) => {
    const lines: string[] = [];
    const log = createLog(level, (l) => lines.push(l), { pid: 42 });
    return { log, lines, records: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>) };
  };

  it('writes one JSON object per line in pino\'s shape', () => {
    const c = capture();
    c.log.info({ image: 'sha256:ab', tags: ['a:1'] }, 'transition');
    expect(c.lines).toHaveLength(1);
    expect(c.lines[0]!.endsWith('\n')).toBe(true);
    const r = c.records()[0]!;
    expect(Object.keys(r)).toEqual(['level', 'time', 'pid', 'image', 'tags', 'msg']);
    expect(r).toMatchObject({ level: 30, pid: 42, image: 'sha256:ab', tags: ['a:1'], msg: 'transition' });
    expect(typeof r.time).toBe('number');
  });

  it('drops what is below the level', () => {
    const c = capture('warn');
    c.log.info({}, 'quiet');
    c.log.debug({}, 'quiet');
    c.log.warn({ a: 1 }, 'loud');
    c.log.error({}, 'louder');
    expect(c.records().map((r) => [r.level, r.msg])).toEqual([[40, 'loud'], [50, 'louder']]);
  });

  it('writes errors with their message and stack', () => {
    const c = capture();
    c.log.error({ err: new TypeError('boom') }, 'failed');
    expect(c.records()[0]!.err).toMatchObject({ type: 'TypeError', message: 'boom' });
  });

  it('refuses an unknown level', () => {
    expect(() => createLog('verbose', () => {})).toThrow(/unknown log level "verbose"/);
  });
});
