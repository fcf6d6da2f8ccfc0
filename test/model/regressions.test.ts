/**
 * Bugs the model-based tests found in the pure core, each as the shortest sequence that shows it,
 * written out as a plain unit test over planPass (the shrunk fast-check counterexample it came
 * from is quoted above each).
 */
import { describe, expect, it } from 'vitest';
import { compilePolicies } from '../../crd/imagepolicy/match.js';
import { applyEvent, planPass, type PassInput } from '../../controller/reconcile/plan.js';
import type { PersistedImage } from '../../statemachines/runtime.js';

const ID = `sha256:${'2'.repeat(64)}`;
const REF = 'localhost:5000/app:2';
const policies = compilePolicies([{ apiVersion: 'imagectl.dev/v1alpha1', kind: 'ImagePolicy', metadata: { name: 'p0' }, spec: { removal: [{ imageName: '*', deleteAfter: '1s', agentDownloadedOnly: true }] } }] as never);
const present = { images: [{ id: ID, tags: [REF], repoDigests: [], sizeBytes: 1, created: 0, labels: {} }], containers: [] };
const absent = { images: [], containers: [] };
const pass = (observed: PassInput['observed'], persisted: ReadonlyMap<string, PersistedImage>, downloads: PassInput['downloads'], now: number) =>
  planPass({ policies, observed, persisted, downloads, now });

describe('agentDownloaded follows the latest arrival (SPEC §2: the agent brought it, an image that was not there before)', () => {
  const dl = new Map([[ID, { at: 1_000, via: `pull ${REF}` }]]);
  const pulled = pass(present, new Map(), dl, 1_000);

  // [{"t":"pull","ref":"localhost:5000/db:1","by":"agent"},{"t":"apply","policy":{"rules":[{"pattern":"*","deleteAfter":"1s","agentDownloadedOnly":true}]}},
  //  {"t":"timer"},{"t":"pull","ref":"localhost:5000/db:1","by":"other"},{"t":"pass"}]
  it('an image the agent removed and someone else pulled again is a discovered one: agentDownloadedOnly rules leave it alone', () => {
    const due = pass(present, pulled.images, dl, 2_000);
    expect(due.remove).toEqual([ID]);
    const out = { images: new Map(due.images), changed: new Map(), audit: [] };
    applyEvent(out, due.images.get(ID)!, { type: 'REMOVED', now: 2_000, reason: 'removed' }, 'agent');
    // the removal took the download record with it (controller/reconcile/removals.ts)
    const back = pass(present, out.images, new Map(), 3_000);
    const img = back.images.get(ID)!;
    expect([img.state, img.context.agentDownloaded, img.context.rule, img.context.protectedBy]).toEqual(['idle', false, null, 'no rule matches']);
    expect(back.nextDueAt).toBeNull();
  });

  // [{"t":"pull","ref":"localhost:5000/app:2","by":"agent"},{"t":"rmiId","content":1},{"t":"apply",...agentDownloadedOnly: true...},
  //  {"t":"pull","ref":"localhost:5000/app:latest","by":"other"},{"t":"timer"}]
  it('an image someone else deleted and brought back is a discovered one, though the old download record is still there', () => {
    const gone = pass(absent, pulled.images, dl, 1_500);
    expect(gone.images.get(ID)?.state).toBe('removed');
    const back = pass(present, gone.images, dl, 2_000);
    expect([back.images.get(ID)?.context.agentDownloaded, back.nextDueAt]).toEqual([false, null]);
    // and on every pass after (the restored twin of the fast-check run found the record taking over again)
    const later = pass(present, back.images, dl, 3_000);
    expect([later.images.get(ID)?.context.agentDownloaded, later.nextDueAt]).toEqual([false, null]);
  });

  it('an image the agent pulls again after its removal is the agent\'s again', () => {
    const gone = pass(absent, pulled.images, dl, 1_500);
    const again = new Map([[ID, { at: 2_000, via: `pull ${REF}` }]]);
    const back = pass(present, gone.images, again, 2_000);
    expect([back.images.get(ID)?.context.agentDownloaded, back.images.get(ID)?.context.downloadedAt, back.nextDueAt]).toEqual([true, 2_000, 3_000]);
  });
});
