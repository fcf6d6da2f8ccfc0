import { describe, expect, it } from 'vitest';
import { callRecord, describeCall } from './audit-calls.js';
import { verbOf, type CallRecord } from './http.js';

const call = (o: Partial<CallRecord>): CallRecord => ({ verb: 'apply', method: 'POST', path: '/v1/apply', actor: 'uid:0', startedAt: 0, status: 200, result: undefined, error: null, note: {}, ...o });

describe('API call audit', () => {
  it('names the verb from the route', () => {
    expect(verbOf('POST', '/v1/apply')).toBe('apply');
    expect(verbOf('DELETE', '/v1/objects/:kind/:name')).toBe('delete');
    expect(verbOf('POST', '/v1/workloads/:name/refresh')).toBe('refresh');
    expect(verbOf('POST', '/v1/rmi')).toBe('rmi');
  });

  it('summarizes apply and delete results, and refusals', () => {
    expect(describeCall(call({ result: { results: [{ kind: 'ImagePolicy', name: 'a', action: 'created' }, { kind: 'Workload', name: 'w', action: 'unchanged' }] } })))
      .toBe('apply imagepolicy/a created, workload/w unchanged');
    expect(describeCall(call({ verb: 'delete', method: 'DELETE', result: { results: [{ kind: 'ImagePolicy', name: 'a', action: 'deleted' }] } }))).toBe('delete imagepolicy/a deleted');
    expect(describeCall(call({ status: 422, error: '1 invalid object(s); nothing was applied' }))).toBe('POST /v1/apply refused (HTTP 422): 1 invalid object(s); nothing was applied');
  });

  it('is an audit record with the actor, image and outcome, in the audit -o json shape', () => {
    const r = callRecord(call({ verb: 'rmi', path: '/v1/rmi', note: { image: 'sha256:abc', reason: 'rmi app:1' }, startedAt: Date.parse('2026-01-01T00:00:00Z') }));
    expect(r).toEqual({ time: '2026-01-01T00:00:00.000Z', image: 'sha256:abc', tags: [], from: null, to: 'succeeded', event: 'api.rmi', reason: 'rmi app:1', actor: 'uid:0' });
    expect(callRecord(call({ note: { ok: false, reason: 'pull x' } })).to).toBe('failed');
    expect(callRecord(call({})).image).toBeNull();
  });
});
