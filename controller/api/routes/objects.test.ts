import { describe, expect, it } from 'vitest';
import { validateForServer } from '../../../crd/server.js';
import type { StoredObject } from '../../store/store.js';
import type { ApiDeps } from '../../service/deps.js';
import { applyObjects } from '../../service/apply.js';

const policy = (name: string, deleteAfter = '1h') => ({
  apiVersion: 'imagectl.dev/v1alpha1',
  kind: 'ImagePolicy',
  metadata: { name },
  spec: { removal: [{ imageName: 'app:*', deleteAfter }] },
});

function deps(): ApiDeps {
  const objects = new Map<string, StoredObject>();
  const store = {
    async listObjects() {
      return [...objects.values()];
    },
    async commit() {
      throw new Error('a dry run writes nothing');
    },
  };
  const reconciler = {
    snapshot() {
      throw new Error('no plan was asked for');
    },
  };
  return { store, reconciler, nodeLabels: {}, validate: validateForServer, stateDir: '/nowhere' } as unknown as ApiDeps;
}

describe('applyObjects, server dry run', () => {
  it('with plan: false, answers the results and the changes without planning (diff)', async () => {
    const r = await applyObjects(deps(), { objects: [policy('a')], dryRun: 'server', plan: false });
    expect(r).toEqual({
      results: [{ kind: 'ImagePolicy', name: 'a', action: 'created' }],
      dryRun: 'server',
      changes: [{ kind: 'ImagePolicy', name: 'a', action: 'created', after: expect.objectContaining({ kind: 'ImagePolicy', metadata: expect.objectContaining({ name: 'a' }) }) }],
    });
  });

  it('plans by default', async () => {
    await expect(applyObjects(deps(), { objects: [policy('a')], dryRun: 'server' })).rejects.toThrow('no plan was asked for');
  });

  it('still validates everything first', async () => {
    await expect(applyObjects(deps(), { objects: [policy('a', 'soon')], dryRun: 'server', plan: false })).rejects.toMatchObject({ status: 422 });
  });
});
