/**
 * `--fleet URL`: the hub in place of the agent. The commands that publish or read objects (apply,
 * diff, delete, get policies|workloads) keep their code and output: this client answers the agent
 * API's requests from the fleet's buckets (controller/fleet/hub.ts), so the output lines and exit
 * codes are the same by construction. The NATS client loads only when a request is made.
 */
import { CliError, Client, type ApiError } from '../client.js';
import type { Hub } from '../../controller/fleet/hub.js';
import type { FleetAuth } from '../../controller/fleet/connect.js';

export type FleetAuthOptions = FleetAuth;

/** Connections this process opened: closed when the command ends (cli/main.ts). */
const open = new Set<Promise<Hub>>();

export async function closeFleet(): Promise<void> {
  const hubs = [...open];
  open.clear();
  await Promise.all(hubs.map((h) => h.then((x) => x.close(), () => undefined)));
}

/** The URL without its password, for messages. */
export function fleetWhere(url: string): string {
  return url.replace(/\/\/([^@/,]*)@/g, (_m, cred: string) => `//${cred.split(':')[0]}@`);
}

/** A hub error as the CLI shows an agent's: the message, the problems (`details`), the status. */
export function asCliError(err: unknown): CliError {
  if (err instanceof CliError) return err;
  const e = err as Error & { status?: number; details?: string[] };
  const out = new CliError(e.message) as CliError & ApiError;
  if (e.status !== undefined) out.status = e.status;
  if (e.details) out.details = e.details;
  return out;
}

export class FleetClient extends Client {
  private hubPromise: Promise<Hub> | null = null;

  constructor(readonly auth: FleetAuth) {
    super('', '');
  }

  override get where(): string {
    return fleetWhere(this.auth.url);
  }

  /** The hub, connected on first use. */
  hub(): Promise<Hub> {
    if (!this.hubPromise) {
      this.hubPromise = import('../../controller/fleet/hub.js').then(({ Hub }) => Hub.connect(this.auth, 'imagectl-cli'));
      open.add(this.hubPromise);
    }
    return this.hubPromise.catch((err: unknown) => {
      throw asCliError(err);
    });
  }

  override async request<T = unknown>(method: string, path: string, body?: unknown): Promise<T> {
    const hub = await this.hub();
    try {
      return (await this.answer(hub, method, path, body)) as T;
    } catch (err) {
      throw asCliError(err);
    }
  }

  override stream(path: string): Promise<void> {
    return Promise.reject(new CliError(`error: ${path.split('?')[0]} is not available with --fleet`));
  }

  private async answer(hub: Hub, method: string, path: string, body: unknown): Promise<unknown> {
    const { findKind } = await import('../../crd/kinds.js');
    const m = /^\/v1\/objects\/([^/?]+)(?:\/([^/?]+))?(\/describe)?$/.exec(path);
    if (method === 'POST' && path === '/v1/apply') return hub.apply(body as never);
    if (m) {
      const kind = findKind(decodeURIComponent(m[1]!))?.kind;
      if (!kind) throw Object.assign(new CliError(`unknown kind ${JSON.stringify(m[1])}`), { status: 400 });
      const name = m[2] === undefined ? undefined : decodeURIComponent(m[2]);
      if (method === 'DELETE' && name !== undefined) {
        if (await hub.deleteObject(kind, name)) return { deleted: true };
        throw Object.assign(new CliError(`${kind.toLowerCase()} ${JSON.stringify(name)} not found in the fleet's set`), { status: 404 });
      }
      if (method === 'GET') {
        const items = (await hub.live()).objects.filter((o) => o.kind === kind && (name === undefined || o.metadata.name === name));
        if (name === undefined && items.length === 0) return { apiVersion: 'v1', kind: `${kind}List`, items };
        if (items.length === 0) throw Object.assign(new CliError(`${kind.toLowerCase()} ${JSON.stringify(name)} not found in the fleet's set`), { status: 404 });
        const view = hubView((await import('../../controller/fleet/hub-queries.js')).nodeStatuses(hub));
        const views = await Promise.all(items.map(view));
        if (name === undefined) return { apiVersion: 'v1', kind: `${kind}List`, items: views };
        return m[3] ? { object: views[0], events: [] } : views[0];
      }
    }
    throw new CliError(`error: ${method} ${path.split('?')[0]} is not available with --fleet`);
  }
}

/** An object of the fleet's set, with the nodes that applied it: whether it applies is each device's decision. */
function hubView(statuses: Promise<{ node: string; objects: string[] }[]>) {
  return async (o: { kind: string; metadata: { name: string } }): Promise<unknown> => {
    const ref = `${o.kind.toLowerCase()}/${o.metadata.name}`;
    const all = await statuses;
    const on = all.filter((n) => n.objects.includes(ref)).map((n) => n.node);
    const status = { appliesToNode: on.length > 0, reason: `applied on ${on.length} of ${all.length} node(s)${on.length && on.length <= 5 ? `: ${on.join(', ')}` : ''}`, decidedBy: 'none', nodes: on };
    // a Workload's phase is each node's (describe node): here it is where it was applied
    return { ...o, status: o.kind === 'ImagePolicy' ? status : { phase: 'Published', reason: status.reason, message: '', nodes: on } };
  };
}
