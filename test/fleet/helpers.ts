/** Shared pieces of the fleet tests: devices (real agents on the stack's engine) and a hub reader. */
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstream } from '@nats-io/jetstream';
import { Kvm, type KV } from '@nats-io/kv';
import { AgentProcess, runCli, waitFor, type CliResult } from '../helpers/agent.js';
import type { StackInfo } from '../stack/stack.js';

export const policy = (name: string, site: string | null, deleteAfter = '1h') =>
  `apiVersion: imagectl.dev/v1alpha1\nkind: ImagePolicy\nmetadata:\n  name: ${name}\nspec:\n${site ? `  nodeSelector:\n    matchLabels:\n      site: ${site}\n` : ''}  removal:\n    - imageName: "fixture/${name}:*"\n      deleteAfter: ${deleteAfter}\n`;

/** A device of the fleet: an agent process with --fleet and --node-name. */
export function device(stack: StackInfo, url: string, node: string, labels: Record<string, string>, extra: string[] = []): AgentProcess {
  const args = ['--fleet', url, '--node-name', node, ...Object.entries(labels).flatMap(([k, v]) => ['--node-label', `${k}=${v}`]), ...extra];
  return new AgentProcess(stack, AgentProcess.tempStateDir(), args);
}

export function fleetCli(url: string, args: string[], extra: string[] = [], input?: string): Promise<CliResult> {
  return runCli(['--fleet', url, ...extra, ...args], { input, timeoutMs: 60_000 });
}

export async function fleetJson<T = any>(url: string, args: string[], extra: string[] = []): Promise<T> {
  const r = await fleetCli(url, args, extra);
  if (r.code !== 0) throw new Error(`imagectl --fleet ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}

export interface NodeJson {
  metadata: { name: string; labels: Record<string, string> };
  status: { ready: boolean; reason: string; appliedRevision: number | null; objects: string[]; images: unknown[] };
}

export async function nodes(url: string, extra: string[] = []): Promise<Map<string, NodeJson>> {
  const list = await fleetJson<{ kind: string; items: NodeJson[] }>(url, ['get', 'nodes', '-o', 'json'], extra);
  return new Map(list.items.map((n) => [n.metadata.name, n]));
}

/** Wait until every named node reports `revision`. */
export async function converged(url: string, names: string[], revision: number, extra: string[] = [], timeoutMs = 60_000): Promise<Map<string, NodeJson>> {
  return waitFor(`nodes ${names.join(', ')} at revision ${revision}`, async () => {
    const m = await nodes(url, extra);
    return names.every((n) => m.get(n)?.status.appliedRevision === revision) ? m : null;
  }, timeoutMs, 250);
}

/** The test's own client of the hub (what an operator's `nats` CLI would be). */
export async function hubKv(servers: string, opts: { user?: string; pass?: string } = {}): Promise<{ nc: NatsConnection; manifests: KV; commitRevision(): Promise<number> }> {
  const nc = await connect({ servers: servers.split(',').map((s) => s.replace(/^nats:\/\//, '')), ...opts });
  const manifests = await new Kvm(jetstream(nc)).open('imagectl-manifests');
  return { nc, manifests, commitRevision: async () => (await manifests.get('_commit'))?.revision ?? 0 };
}

export async function policyNames(agent: AgentProcess): Promise<string[]> {
  const r = await agent.json<{ items: { metadata: { name: string } }[] }>(['get', 'policies', '-o', 'json']);
  return r.items.map((p) => p.metadata.name).sort();
}
