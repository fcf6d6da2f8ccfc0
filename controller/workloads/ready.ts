/**
 * A Workload's `Ready` condition (what `imagectl wait --for=condition=Ready` waits for): true when
 * both its image and its container are ready, as Kubernetes' Ready sums a pod's conditions up.
 */

/** The shape of a Workload condition (executor.ts has the full type). */
interface Condition {
  type: string;
  status: 'True' | 'False';
  reason: string;
  message: string;
  lastTransitionTime: string;
}

/** `conditions` with `Ready` computed from ImageReady and ContainerReady (replacing an older one). */
export function withReady<C extends Condition>(conditions: readonly C[], prev: readonly C[], now: string): C[] {
  const parts = conditions.filter((c) => c.type === 'ImageReady' || c.type === 'ContainerReady');
  const failing = parts.find((c) => c.status !== 'True');
  const ok = parts.length === 2 && !failing;
  const status: Condition['status'] = ok ? 'True' : 'False';
  const old = prev.find((c) => c.type === 'Ready');
  const ready = {
    type: 'Ready',
    status,
    reason: ok ? 'Ready' : (failing?.reason ?? 'NotReconciled'),
    message: ok ? 'the image and the container are ready' : `${failing?.type ?? 'ImageReady'} is not true${failing?.message ? `: ${failing.message}` : ''}`,
    lastTransitionTime: old && old.status === status ? old.lastTransitionTime : now,
  } as C;
  return [...conditions.filter((c) => c.type !== 'Ready'), ready];
}
