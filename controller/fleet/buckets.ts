/**
 * The fleet's places in JetStream (SPEC §10): the two KV buckets and the audit stream. Publishers
 * create them when they are missing (replicas 3 when the hub is a cluster of three or more); devices
 * only bind to them, so their credentials need no right to create anything.
 */
import type { NatsConnection } from '@nats-io/transport-node';
import { jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import { Kvm, type KV, type KvEntry } from '@nats-io/kv';
import { AUDIT_STREAM, MANIFESTS_BUCKET, NODES_BUCKET, auditSubject, kvStream } from '../../crd/fleet/names.js';

export interface FleetPlaces {
  nc: NatsConnection;
  js: JetStreamClient;
  manifests: KV;
  nodes: KV;
}

/** a record sent again within this window is stored once (a device may be cut off for hours) */
const DUPLICATE_WINDOW_NS = 24 * 3600 * 1e9;

/** Replicas for new buckets and the stream: 3 on a cluster of three or more servers, else 1. */
export function replicasFor(nc: NatsConnection): number {
  const peers = nc.info?.connect_urls?.length ?? 0;
  return peers >= 3 ? 3 : 1;
}

async function ensureAuditStream(jsm: JetStreamManager, replicas: number): Promise<void> {
  try {
    await jsm.streams.info(AUDIT_STREAM);
  } catch {
    await jsm.streams.add({ name: AUDIT_STREAM, subjects: [auditSubject('*')], num_replicas: replicas, duplicate_window: DUPLICATE_WINDOW_NS, storage: 'file' as never });
  }
}

/** Bind to the fleet's buckets; with `create`, make whatever is missing first (publishers). */
export async function openPlaces(nc: NatsConnection, o: { create: boolean }): Promise<FleetPlaces> {
  const js = jetstream(nc, { timeout: 10_000 });
  const kvm = new Kvm(js);
  if (!o.create) {
    return { nc, js, manifests: await kvm.open(MANIFESTS_BUCKET, { allow_direct: true }), nodes: await kvm.open(NODES_BUCKET, { allow_direct: true }) };
  }
  const jsm = await jetstreamManager(nc);
  const replicas = replicasFor(nc);
  // an existing bucket is used as it is (its replicas were chosen when it was made)
  const bucket = async (name: string, history: number) => {
    const exists = await jsm.streams.info(kvStream(name)).then(() => true, () => false);
    return exists ? kvm.open(name, { allow_direct: true }) : kvm.create(name, { history, replicas });
  };
  const manifests = await bucket(MANIFESTS_BUCKET, 10);
  const nodes = await bucket(NODES_BUCKET, 1);
  await ensureAuditStream(jsm, replicas);
  return { nc, js, manifests, nodes };
}

/** The last value of every key of a bucket (deleted keys left out). */
export async function lastValues(kv: KV, key = '>'): Promise<KvEntry[]> {
  const st = await kv.status();
  if (st.values === 0) return [];
  const out = new Map<string, KvEntry>();
  const it = await kv.watch({ key });
  for await (const e of it) {
    if (e.operation === 'PUT') out.set(e.key, e);
    else out.delete(e.key);
    if (e.delta === 0) break;
  }
  it.stop();
  return [...out.values()];
}
