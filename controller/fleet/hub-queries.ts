/**
 * What the hub is asked (`--fleet get nodes|images`, `audit`, `pull`, `rmi`): the node statuses from
 * `imagectl-nodes`, the audit stream, and requests to single devices on `imagectl.cmd.<node>`.
 */
import { DeliverPolicy } from '@nats-io/jetstream';
import type { LogRecord } from '../../crd/api/audit.js';
import type { FleetCommand, FleetCommandResult } from '../../crd/fleet/command.js';
import { AUDIT_STREAM, auditSubject, commandSubject } from '../../crd/fleet/names.js';
import type { NodeStatus } from '../../crd/fleet/node-status.js';
import { lastValues } from './buckets.js';
import type { Hub } from './hub.js';

/** Every node's last status. */
export async function nodeStatuses(hub: Hub): Promise<NodeStatus[]> {
  const entries = await lastValues(hub.places.nodes);
  const out: NodeStatus[] = [];
  for (const e of entries) {
    try {
      out.push(e.json<NodeStatus>());
    } catch {
      // a key written by hand that is not a status is not a node
    }
  }
  return out.sort((a, b) => (a.node < b.node ? -1 : a.node > b.node ? 1 : 0));
}

export type FleetAuditRecord = LogRecord & { node: string };

/** The audit stream, oldest first; with `follow`, new records until `signal` aborts. */
export async function readAudit(hub: Hub, o: { node?: string; since?: number; follow?: boolean; signal?: AbortSignal }, onRecord: (r: FleetAuditRecord) => void): Promise<void> {
  const js = hub.places.js;
  const c = await js.consumers.get(AUDIT_STREAM, {
    filter_subjects: auditSubject(o.node ?? '*'),
    ...(o.since !== undefined ? { deliver_policy: DeliverPolicy.StartTime, opt_start_time: new Date(o.since).toISOString() } : { deliver_policy: DeliverPolicy.All }),
  });
  const info = await c.info(true);
  if (!o.follow && info.num_pending === 0) return;
  const msgs = await c.consume({ max_messages: 256 });
  o.signal?.addEventListener('abort', () => void msgs.stop());
  for await (const m of msgs) {
    try {
      onRecord(m.json<FleetAuditRecord>());
    } catch {
      // not a record (written by hand)
    }
    if (!o.follow && m.info.pending === 0) break;
  }
  await msgs.stop();
}

/** Ask one device; a device that does not answer in time is a failure of its own. */
export async function commandNode(hub: Hub, node: string, cmd: FleetCommand, timeoutMs: number): Promise<FleetCommandResult> {
  try {
    const m = await hub.nc.request(commandSubject(node), JSON.stringify(cmd), { timeout: timeoutMs });
    return m.json<FleetCommandResult>();
  } catch (err) {
    const msg = (err as Error).message;
    return { node, ok: false, message: /no responders|503/i.test(msg) ? 'the device is not connected to the hub' : /timeout/i.test(msg) ? `no answer within ${Math.round(timeoutMs / 1000)} s` : msg };
  }
}
