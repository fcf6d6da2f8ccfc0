import { describe, expect, it } from 'vitest';
import { meets, parseFor } from './wait.js';

const wl = (ready: string, phase = 'Running') => ({ metadata: { name: 'w' }, status: { phase, conditions: [{ type: 'ImageReady', status: 'True' }, { type: 'Ready', status: ready }] } });

describe('wait --for', () => {
  it('reads kubectl\'s forms', () => {
    expect(parseFor('delete')).toEqual({ kind: 'delete' });
    expect(parseFor('condition=Ready')).toEqual({ kind: 'condition', type: 'Ready', status: 'True' });
    expect(parseFor('condition=Ready=false')).toEqual({ kind: 'condition', type: 'Ready', status: 'false' });
    expect(parseFor('jsonpath={.status.phase}=Running')).toEqual({ kind: 'jsonpath', path: '.status.phase', value: 'Running' });
    expect(parseFor('jsonpath=.status.phase')).toEqual({ kind: 'jsonpath', path: '.status.phase', value: null });
    expect(() => parseFor('ready')).toThrow('unrecognized --for');
  });

  it('decides as kubectl: conditions case-insensitively, delete when gone, jsonpath by value or presence', () => {
    expect(meets(parseFor('condition=Ready'), wl('True'))).toBe(true);
    expect(meets(parseFor('condition=ready=true'), wl('True'))).toBe(true);
    expect(meets(parseFor('condition=Ready'), wl('False'))).toBe(false);
    expect(meets(parseFor('condition=Ready=False'), wl('False'))).toBe(true);
    expect(meets(parseFor('condition=Ready'), undefined)).toBe(false);
    expect(meets(parseFor('delete'), undefined)).toBe(true);
    expect(meets(parseFor('delete'), wl('True'))).toBe(false);
    expect(meets(parseFor('jsonpath={.status.phase}=Failed'), wl('False', 'Failed'))).toBe(true);
    expect(meets(parseFor('jsonpath={.status.phase}=Failed'), wl('True'))).toBe(false);
    expect(meets(parseFor('jsonpath={.status.nothing}'), wl('True'))).toBe(false);
    expect(meets(parseFor('jsonpath={.status.phase}'), wl('True'))).toBe(true);
  });
});
