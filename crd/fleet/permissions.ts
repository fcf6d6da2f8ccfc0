/**
 * The `authorization {}` block for nats-server.conf (`fleet nats-config`): one user per publisher
 * and per node, each with only the subjects its job needs. Pure.
 *
 * A KV read is a JetStream API request (direct get, or a stream message get) and a KV watch is an
 * ordered consumer: creating it, asking its info and deleting it are API requests on the bucket's
 * stream, its messages come to the user's own inbox, and its flow control is answered on `$JS.FC`.
 * A KV write is a publish on `$KV.<bucket>.<key>`, acknowledged to the inbox. So a node may:
 * read and watch `imagectl-manifests` (and nothing else of JetStream), put only its own key of
 * `imagectl-nodes`, publish only `imagectl.audit.<node>`, and receive only `imagectl.cmd.<node>`,
 * answering on the request's reply subject (allow_responses). Every user's replies come to its own
 * inbox prefix `_INBOX_<user>` (the fleet client sets it), so nobody reads another's answers.
 * Publishers create and manage the fleet's three streams, write manifests, read the node statuses
 * and the audit stream, and send commands; they touch no other stream.
 */
import { AUDIT_STREAM, MANIFESTS_BUCKET, NODES_BUCKET, auditSubject, commandSubject, kvStream } from './names.js';

export interface NatsUsers {
  publishers: readonly string[];
  nodes: readonly string[];
  passwords: ReadonlyMap<string, string>;
}

export interface Permissions {
  publish: string[];
  subscribe: string[];
  allowResponses?: boolean;
}

/** What reading and watching one stream takes (as the KV and ordered-consumer clients do it). */
function readStream(stream: string): string[] {
  const api = '$JS.API';
  return [
    `${api}.INFO`,
    `${api}.STREAM.INFO.${stream}`,
    `${api}.CONSUMER.CREATE.${stream}`,
    `${api}.CONSUMER.CREATE.${stream}.>`,
    `${api}.CONSUMER.INFO.${stream}.>`,
    `${api}.CONSUMER.DELETE.${stream}.>`,
    `${api}.CONSUMER.MSG.NEXT.${stream}.>`,
    `${api}.DIRECT.GET.${stream}`,
    `${api}.DIRECT.GET.${stream}.>`,
    `${api}.STREAM.MSG.GET.${stream}`,
    `$JS.FC.${stream}.>`,
  ];
}

export function nodePermissions(node: string): Permissions {
  return {
    publish: [...readStream(kvStream(MANIFESTS_BUCKET)), `$KV.${NODES_BUCKET}.${node}`, auditSubject(node)],
    subscribe: [`_INBOX_${node}.>`, commandSubject(node)],
    allowResponses: true,
  };
}

export function publisherPermissions(user: string): Permissions {
  const streams = [kvStream(MANIFESTS_BUCKET), kvStream(NODES_BUCKET), AUDIT_STREAM];
  return {
    publish: [
      ...new Set(streams.flatMap((s) => [...readStream(s), `$JS.API.STREAM.CREATE.${s}`, `$JS.API.STREAM.UPDATE.${s}`])),
      `$KV.${MANIFESTS_BUCKET}.>`,
      commandSubject('*'),
    ],
    subscribe: [`_INBOX_${user}.>`],
  };
}

const q = (s: string) => JSON.stringify(s);
const list = (xs: readonly string[], indent: string) => `[\n${xs.map((x) => `${indent}  ${q(x)}`).join(',\n')}\n${indent}]`;

function userEntry(user: string, password: string, p: Permissions, role: string): string {
  const i = '        ';
  return [
    `    # ${role} ${user}`,
    '    {',
    `      user: ${q(user)}`,
    `      password: ${q(password)}`,
    '      permissions: {',
    `        publish: { allow: ${list(p.publish, i)} }`,
    `        subscribe: { allow: ${list(p.subscribe, i)} }`,
    ...(p.allowResponses ? ['        allow_responses: true'] : []),
    '      }',
    '    }',
  ].join('\n');
}

/** The block to paste into nats-server.conf (next to `jetstream {}`). */
export function authorizationBlock(u: NatsUsers): string {
  const pw = (n: string) => {
    const p = u.passwords.get(n);
    if (p === undefined) throw new Error(`no password for ${n}`);
    return p;
  };
  const entries = [
    ...u.publishers.map((n) => userEntry(n, pw(n), publisherPermissions(n), 'publisher')),
    ...u.nodes.map((n) => userEntry(n, pw(n), nodePermissions(n), 'node')),
  ];
  return `# imagectl fleet: ${u.publishers.length} publisher(s), ${u.nodes.length} node(s); passwords are in the --password-dir files\nauthorization {\n  users: [\n${entries.join(',\n')}\n  ]\n}\n`;
}
