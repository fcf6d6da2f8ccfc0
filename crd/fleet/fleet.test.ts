import { describe, expect, it } from 'vitest';
import { decodeCommit, encodeCommit } from './commit.js';
import { nodeNameProblem, objectKey, parseObjectKey } from './names.js';
import { nodeItem, type NodeStatus } from './node-status.js';
import { authorizationBlock, nodePermissions, publisherPermissions } from './permissions.js';
import { asManifest, selectsDevice } from './select.js';
import { imageMatcher } from './images.js';
import { parseCommand } from './command.js';

const status = (lastSeen: string): NodeStatus => ({
  node: 'n1', labels: { site: 'a' }, lastSeen, appliedRevision: 7, ready: true, reason: 'Applied', objects: [], disk: null, workloads: [], images: [], engine: { reachable: true, error: null },
});

describe('fleet keys and names', () => {
  it('names manifest keys <kind>.<name> and reads them back', () => {
    expect(objectKey('ImagePolicy', 'plant-cleanup')).toBe('imagepolicy.plant-cleanup');
    expect(parseObjectKey('imagepolicy.plant-cleanup')).toEqual({ kind: 'ImagePolicy', name: 'plant-cleanup' });
    expect(parseObjectKey('workload.sensor')).toEqual({ kind: 'Workload', name: 'sensor' });
    expect(parseObjectKey('_commit')).toBeNull();
    expect(parseObjectKey('gadget.x')).toBeNull();
  });

  it('wants DNS-1123 labels for node names', () => {
    expect(nodeNameProblem('edge-01')).toBeNull();
    expect(nodeNameProblem('Edge_01')).toMatch(/DNS-1123 label/);
    expect(nodeNameProblem('a'.repeat(64))).toMatch(/at most 63/);
    expect(nodeNameProblem('a.b')).toMatch(/DNS-1123/);
  });
});

describe('the _commit value', () => {
  it('round-trips, with its keys sorted', () => {
    const text = encodeCommit({ objects: { 'workload.b': 3, 'imagepolicy.a': 2 }, publishedAt: '2026-01-01T00:00:00.000Z', publisher: 'ops' });
    expect(text.indexOf('imagepolicy.a')).toBeLessThan(text.indexOf('workload.b'));
    expect(decodeCommit(text)).toEqual({ ok: true, commit: { objects: { 'imagepolicy.a': 2, 'workload.b': 3 }, publishedAt: '2026-01-01T00:00:00.000Z', publisher: 'ops' } });
  });

  it('refuses a commit written by hand that cannot be used, saying why', () => {
    expect(decodeCommit('{')).toMatchObject({ ok: false, error: expect.stringMatching(/not JSON/) });
    expect(decodeCommit('[]')).toMatchObject({ ok: false, error: expect.stringMatching(/must be \{"objects"/) });
    expect(decodeCommit('{"objects":{"gadget.x":1}}')).toMatchObject({ ok: false, error: expect.stringMatching(/not a manifest key/) });
    expect(decodeCommit('{"objects":{"imagepolicy.x":0}}')).toMatchObject({ ok: false, error: expect.stringMatching(/positive integer/) });
    expect(decodeCommit('{"objects":{"imagepolicy.x":"3"}}')).toMatchObject({ ok: false });
  });
});

describe('node status as the hub reads it', () => {
  const now = Date.parse('2026-01-01T00:02:00Z');
  it('is the node as written while fresh', () => {
    const n = nodeItem(status('2026-01-01T00:01:00Z'), now);
    expect(n).toMatchObject({ kind: 'Node', metadata: { name: 'n1', labels: { site: 'a' } }, status: { ready: true, reason: 'Applied', appliedRevision: 7 } });
  });

  it('reads as ready: false, reason: Stale after 90 s without a write', () => {
    expect(nodeItem(status('2026-01-01T00:00:30Z'), now).status).toMatchObject({ ready: true });
    expect(nodeItem(status('2026-01-01T00:00:29Z'), now).status).toMatchObject({ ready: false, reason: 'Stale', appliedRevision: 7 });
    expect(nodeItem(status('not a time'), now).status).toMatchObject({ ready: false, reason: 'Stale' });
  });
});

describe('what a device applies', () => {
  const published = {
    apiVersion: 'imagectl.dev/v1alpha1', kind: 'ImagePolicy',
    metadata: { name: 'p', uid: 'u', generation: 2, creationTimestamp: 't', labels: { 'imagectl.dev/applyset': 'applyset-x-v1', team: 'edge' } },
    spec: { nodeSelector: { matchLabels: { site: 'a' } }, removal: [] },
  };
  it('drops the hub\'s bookkeeping and applyset label, keeps the rest', () => {
    expect(asManifest(published)).toEqual({ apiVersion: 'imagectl.dev/v1alpha1', kind: 'ImagePolicy', metadata: { name: 'p', labels: { team: 'edge' } }, spec: published.spec });
  });

  it('selects by the policy\'s own rules, and Workloads everywhere', () => {
    expect(selectsDevice(published, { labels: { site: 'a' } })).toBe(true);
    expect(selectsDevice(published, { labels: { site: 'b' } })).toBe(false);
    expect(selectsDevice({ kind: 'ImagePolicy', spec: { enabled: false } }, { labels: {} })).toBe(false);
    expect(selectsDevice({ kind: 'ImagePolicy', spec: { constraints: ['site == "a"'] } }, { labels: { site: 'a' } })).toBe(true);
    expect(selectsDevice({ kind: 'Workload', spec: { image: 'x:1' } }, { labels: {} })).toBe(true);
  });
});

describe('images across the fleet', () => {
  const imgs = [
    { id: 'sha256:aaaa1111', status: { tags: ['docker.io/library/app:1.2'], repoDigests: [], state: 'idle' } },
    { id: 'sha256:bbbb2222', status: { tags: ['app:1.3'], repoDigests: [], state: 'removed' } },
  ];
  it('names an image by normalized tag, by ID prefix, and prefers current images', () => {
    expect(imageMatcher('app:1.2')(imgs).map((i) => i.id)).toEqual(['sha256:aaaa1111']);
    expect(imageMatcher('aaaa')(imgs).map((i) => i.id)).toEqual(['sha256:aaaa1111']);
    expect(imageMatcher('docker.io/library/app:1.3')(imgs).map((i) => i.id)).toEqual(['sha256:bbbb2222']);
    expect(imageMatcher('other:1')(imgs)).toEqual([]);
  });
});

describe('commands to a device', () => {
  it('takes pull and rmi with a reference, nothing else', () => {
    expect(parseCommand('{"op":"pull","ref":"a:1"}')).toEqual({ op: 'pull', ref: 'a:1' });
    expect(parseCommand('{"op":"exec","ref":"a:1"}')).toMatchObject({ error: expect.any(String) });
    expect(parseCommand('nope')).toMatchObject({ error: 'the request is not JSON' });
  });
});

describe('fleet nats-config permissions', () => {
  it('lets a node read and watch the manifests, write only its own status, audit and answers', () => {
    const p = nodePermissions('n1');
    expect(p.publish).toContain('$KV.imagectl-nodes.n1');
    expect(p.publish).toContain('imagectl.audit.n1');
    expect(p.publish).toContain('$JS.API.CONSUMER.CREATE.KV_imagectl-manifests.>');
    expect(p.publish.some((s) => s.startsWith('$KV.imagectl-manifests'))).toBe(false);
    expect(p.publish.some((s) => /\*|imagectl-nodes\.>|audit\.>/.test(s))).toBe(false);
    expect(p.publish.some((s) => /KV_imagectl-nodes|IMAGECTL_AUDIT|STREAM\.CREATE|STREAM\.DELETE|STREAM\.PURGE/.test(s))).toBe(false);
    expect(p.subscribe).toEqual(['_INBOX_n1.>', 'imagectl.cmd.n1']);
    expect(p.allowResponses).toBe(true);
  });

  it('lets a publisher manage the fleet\'s three streams and nothing else', () => {
    const p = publisherPermissions('ops');
    expect(p.publish).toContain('$KV.imagectl-manifests.>');
    expect(p.publish).toContain('imagectl.cmd.*');
    expect(p.publish).toContain('$JS.API.STREAM.CREATE.IMAGECTL_AUDIT');
    expect(p.publish.some((s) => s === '$JS.API.>' || /STREAM\.DELETE|STREAM\.PURGE/.test(s))).toBe(false);
    expect(p.publish.some((s) => s.startsWith('$KV.imagectl-nodes'))).toBe(false);
  });

  it('prints one user per publisher and node, with its password', () => {
    const text = authorizationBlock({ publishers: ['ops'], nodes: ['n1'], passwords: new Map([['ops', 'p1'], ['n1', 'p2']]) });
    expect(text).toMatch(/^authorization \{$/m);
    expect(text).toContain('user: "ops"');
    expect(text).toContain('password: "p2"');
    expect(text.match(/allow_responses: true/g)).toHaveLength(1);
  });
});
