/**
 * The soak's policy history (pure). Found by the short soak, FAULT_SEED=668389644: the agent removed
 * an image whose keep came from a policy the schedule was deleting, 20 ms after the DELETE request
 * and before its answer reached the soak; the oracle still had the policy in force then and called
 * the removal a violation. A policy is out of force, like one applied is in force, from the request.
 */
import { describe, expect, it } from 'vitest';
import { PolicyHistory, verdictOf, type SoakPolicy } from './policies.js';

const keeper: SoakPolicy = { name: 'soak-all', rules: [{ imageName: '*', deleteAfterMs: 8_000 }], keep: ['soak/keep:*'] };
const local: SoakPolicy = { name: 'soak-local', rules: [{ imageName: 'soak/*:*', deleteAfterMs: 3_000 }], keep: [] };

describe('PolicyHistory', () => {
  it('a removal between a delete request and its answer is judged against the set without the deleted policy too', () => {
    const h = new PolicyHistory();
    h.applied(local, 1_000);
    h.applied(keeper, 2_000);
    const undo = h.deleting('soak-all', 10_000);
    const removalAt = 10_020;
    const verdicts = h.during(removalAt - 2_000, removalAt).map((s) => verdictOf(s, ['soak/tmp:1', 'soak/keep:1']));
    expect(verdicts.some((v) => !v.kept && v.deleteAfterMs === 3_000)).toBe(true);
    undo(10_050); // the agent refused the delete: in force again
    expect(verdictOf(h.current(), ['soak/keep:1']).kept).toBe(true);
  });

  it('a policy applied is in force from the request', () => {
    const h = new PolicyHistory();
    h.applied(keeper, 5_000);
    expect(h.verdictAt(['soak/keep:1'], 5_001).kept).toBe(true);
    expect(h.verdictAt(['soak/keep:1'], 4_999).kept).toBe(false);
  });
});
