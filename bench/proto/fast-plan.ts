/**
 * PROTOTYPE (bench only) of a change recommended for controller/plan.ts: skip the XState step for
 * an OBSERVE that provably changes nothing (an idle image still idle and not due, an in-use image
 * still used by the same containers, every observed field unchanged). Such a step only re-assigns
 * the same values, and it is what a steady-state pass consists of; XState's `transition` costs
 * ~50 µs per call (it builds an actor scope each time), so at 100k images it is the whole pass.
 * planPassFast below is planPass with that check; the bench checks that both give the same plan.
 */
import { decide } from '../../policy/match.js';
import { applyEvent, auditOf, type PassInput, type PassPlan } from '../../controller/plan.js';
import { usersByImage } from '../../controller/observation.js';
import { isDue, removeAt, type ObserveEvent } from '../../statemachines/image.js';
import { startImage, type PersistedImage } from '../../statemachines/runtime.js';

const same = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((x, i) => x === b[i]);

/** True when stepping `p` with `ev` would leave state and context as they are. */
export function observeIsNoop(p: PersistedImage, ev: ObserveEvent): boolean {
  const c = p.context;
  if (!ev.present) return false;
  if (!same(c.tags, ev.tags) || !same(c.repoDigests, ev.repoDigests) || c.sizeBytes !== ev.sizeBytes) return false;
  if (c.rule !== (ev.rule?.id ?? null) || c.deleteAfterMs !== (ev.rule?.deleteAfterMs ?? null) || c.protectedBy !== ev.protectedBy) return false;
  if (ev.agentDownloaded && (!c.agentDownloaded || c.downloadedAt !== (ev.downloadedAt ?? null))) return false;
  if (p.state === 'in-use') return ev.usedBy.length > 0 && same(c.usedBy, ev.usedBy);
  if (p.state === 'idle') return ev.usedBy.length === 0 && !isDue(c, ev);
  return false;
}

export function planPassFast(input: PassInput): PassPlan {
  const { now, policies, observed, persisted, downloads } = input;
  const actor = input.actor ?? 'agent';
  const out: PassPlan = { images: new Map(persisted), changed: new Map(), audit: [], remove: [], nextDueAt: null };
  const users = usersByImage(observed.containers);
  const seen = new Set<string>();
  for (const img of observed.images) {
    seen.add(img.id);
    const dl = downloads.get(img.id);
    let current = persisted.get(img.id);
    if (!current) {
      current = startImage({ id: img.id, now, agentDownloaded: dl !== undefined, downloadedAt: dl?.at ?? null, reason: dl ? `downloaded by the agent (${dl.via})` : 'discovered in the engine' });
      current.context.tags = img.tags;
      current.context.repoDigests = img.repoDigests;
      out.audit.push(auditOf(current, null, dl ? 'downloaded' : 'discovered', now, actor));
      out.changed.set(img.id, current);
    }
    const agentDownloaded = current.context.agentDownloaded || dl !== undefined;
    let verdict = decide(policies, { tags: img.tags, repoDigests: img.repoDigests, agentDownloaded }, input.workloadRefs);
    const wl = (input as { workloadIds?: ReadonlyMap<string, string> }).workloadIds?.get(img.id);
    if (wl && !verdict.protectedBy) verdict = { ...verdict, protectedBy: `workload ${wl}` };
    const ev: ObserveEvent = {
      type: 'OBSERVE', now, present: true, tags: img.tags, repoDigests: img.repoDigests, sizeBytes: img.sizeBytes,
      usedBy: users.get(img.id) ?? [],
      rule: verdict.rule ? { id: verdict.rule.id, deleteAfterMs: verdict.rule.deleteAfterMs, deleteAfter: verdict.rule.deleteAfter } : null,
      protectedBy: verdict.protectedBy,
      ...(dl ? { agentDownloaded: true, downloadedAt: dl.at } : {}),
    };
    const next = observeIsNoop(current, ev) ? current : applyEvent(out, current, ev, actor);
    if (next.state === 'removable') out.remove.push(img.id);
    if (next.state === 'idle') {
      const due = removeAt(next.context);
      if (due !== null && (out.nextDueAt === null || due < out.nextDueAt)) out.nextDueAt = due;
    }
  }
  for (const [id, p] of persisted) {
    if (seen.has(id) || p.state === 'removed') continue;
    applyEvent(out, p, { type: 'OBSERVE', now, present: false, tags: p.context.tags, repoDigests: p.context.repoDigests, sizeBytes: p.context.sizeBytes, usedBy: [], rule: null, protectedBy: null }, actor);
  }
  return out;
}
