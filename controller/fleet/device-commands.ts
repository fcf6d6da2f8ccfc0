/**
 * Requests from the hub on `imagectl.cmd.<node>` (fleet pull and rmi), answered with the result.
 * The device runs them through its own local API, exactly as `imagectl pull|rmi` on the device
 * would: the same managed pull (recorded as agent-downloaded) and the same rmi with residual
 * cleanup, audited like any API call.
 */
import http from 'node:http';
import type { NatsConnection } from '@nats-io/transport-node';
import { commandSubject } from '../../crd/fleet/names.js';
import { parseCommand, type FleetCommand, type FleetCommandResult } from '../../crd/fleet/command.js';

function post(socket: string, path: string, body: unknown): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const payload = JSON.stringify(body);
    const req = http.request({ socketPath: socket, path, method: 'POST', headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 500, text }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(payload);
  });
}

/** Run one command on the local API; the answer in one line. */
export async function runCommand(socket: string, node: string, c: FleetCommand): Promise<FleetCommandResult> {
  try {
    const r = await post(socket, c.op === 'pull' ? '/v1/pull' : '/v1/rmi', { ref: c.ref });
    if (c.op === 'pull') {
      // newline-delimited progress, then {done, imageId} or {error}
      const last = JSON.parse(r.text.trim().split('\n').at(-1) || '{}') as { done?: boolean; imageId?: string; error?: string; message?: string };
      if (r.status >= 400 || !last.done) return { node, ok: false, message: last.error ?? last.message ?? `pull failed (HTTP ${r.status})` };
      return { node, ok: true, message: `${c.ref} pulled: ${last.imageId}`, imageId: last.imageId ?? null };
    }
    const j = JSON.parse(r.text || '{}') as { image?: string; message?: string; residual?: string[] };
    if (r.status >= 400) return { node, ok: false, message: j.message ?? `rmi failed (HTTP ${r.status})` };
    return { node, ok: true, message: `Deleted: ${j.image}${j.residual?.length ? ` (and ${j.residual.length} residual file(s))` : ''}`, imageId: j.image ?? null };
  } catch (err) {
    return { node, ok: false, message: `the agent's API did not answer: ${(err as Error).message}` };
  }
}

/** Answer the hub's requests to this node until the connection closes. */
export function listenForCommands(nc: NatsConnection, node: string, socket: string, log: { warn(obj: object, msg?: string): void }): void {
  const sub = nc.subscribe(commandSubject(node));
  void (async () => {
    for await (const m of sub) {
      const c = parseCommand(m.string());
      if ('error' in c) {
        m.respond(JSON.stringify({ node, ok: false, message: c.error } satisfies FleetCommandResult));
        continue;
      }
      void runCommand(socket, node, c).then((r) => {
        if (!r.ok) log.warn({ op: c.op, ref: c.ref, error: r.message }, 'fleet: command failed');
        m.respond(JSON.stringify(r));
      });
    }
  })();
}
