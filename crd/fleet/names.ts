/**
 * Where a fleet lives in NATS (SPEC §10), fixed so that operators can write permissions for it:
 * two KV buckets, one stream, and one command subject per node. Pure.
 */
import { findKind } from '../kinds.js';

export const MANIFESTS_BUCKET = 'imagectl-manifests';
export const NODES_BUCKET = 'imagectl-nodes';
export const AUDIT_STREAM = 'IMAGECTL_AUDIT';
/** the key whose value makes a publish whole: every object key of the set with its revision */
export const COMMIT_KEY = '_commit';
/** how long a node's status stays fresh, and how often a device writes it when nothing changes */
export const STALE_AFTER_MS = 90_000;
export const HEARTBEAT_MS = 30_000;

export const auditSubject = (node: string) => `imagectl.audit.${node}`;
export const commandSubject = (node: string) => `imagectl.cmd.${node}`;
/** the subjects a KV bucket's stream stores (`$KV.<bucket>.<key>`) */
export const kvSubject = (bucket: string, key: string) => `$KV.${bucket}.${key}`;
export const kvStream = (bucket: string) => `KV_${bucket}`;

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** Why a node name cannot be used, or null: node names are DNS-1123 labels. */
export function nodeNameProblem(name: string): string | null {
  if (!DNS_LABEL.test(name) || name.length > 63) return `node name ${JSON.stringify(name)} must be a DNS-1123 label (lowercase letters, digits and '-', at most 63 characters)`;
  return null;
}

/** `imagepolicy.plant-cleanup`: the manifest key of an object. */
export function objectKey(kind: string, name: string): string {
  return `${kind.toLowerCase()}.${name}`;
}

/** The kind and name of a manifest key, or null for a key that names no known kind. */
export function parseObjectKey(key: string): { kind: string; name: string } | null {
  const dot = key.indexOf('.');
  if (dot <= 0) return null;
  const k = findKind(key.slice(0, dot));
  return k ? { kind: k.kind, name: key.slice(dot + 1) } : null;
}
