import { describe, expect, it } from 'vitest';
import { ENGINE_EVENT_BUFFER, replayVerdict } from './history.js';
import { eventKey, msToNano, nanoToMs, nanoToParam, parseEvent, type EngineEvent } from './uses.js';

const ev = (n: number, action = 'create'): EngineEvent => ({ Type: 'container', Action: action, Actor: { ID: `c${n}` }, timeNano: `17000000000${String(n).padStart(8, '0')}` });

describe('the replay of the engine\'s events', () => {
  const seen = ev(1, 'destroy');
  const cursor = { timeNano: seen.timeNano, key: eventKey(seen) };

  it('at start, is whole only when the engine still holds the last event the agent recorded', () => {
    expect(replayVerdict(cursor, [seen, ev(2)], true)).toEqual({ complete: true });
    expect(replayVerdict(cursor, [ev(2)], true)).toMatchObject({ complete: false, why: expect.stringContaining('no longer holds the last event') });
    expect(replayVerdict({ ...cursor, key: null }, [ev(2)], true)).toMatchObject({ complete: false });
  });

  it('after a reconnect, or when the engine had gone away while the agent listened, only the count decides', () => {
    expect(replayVerdict(cursor, [ev(2)], false)).toEqual({ complete: true });
    expect(replayVerdict({ ...cursor, engineGone: true }, [], true)).toEqual({ complete: true });
    const full = Array.from({ length: ENGINE_EVENT_BUFFER }, (_, i) => ev(i + 1));
    expect(replayVerdict(cursor, full, false)).toMatchObject({ complete: false, why: expect.stringContaining('as many as it keeps') });
    expect(replayVerdict({ ...cursor, engineGone: true }, full, true)).toMatchObject({ complete: false });
  });

  it('keeps the nanoseconds the engine sent (more than a double holds), and speaks its since/until', () => {
    const e = parseEvent('{"Type":"container","Action":"die","Actor":{"ID":"c1","Attributes":{"image":"app:1","name":"job"}},"time":1700000000,"timeNano":1700000000123456789}');
    expect(e?.timeNano).toBe('1700000000123456789');
    expect(nanoToParam(e!.timeNano)).toBe('1700000000.123456789');
    expect(nanoToMs(e!.timeNano)).toBe(1700000000123);
    expect(msToNano(1700000000123)).toBe('1700000000123000000');
    expect(parseEvent('not json')).toBeNull();
    expect(parseEvent('{"status":"x"}')).toBeNull();
  });
});
