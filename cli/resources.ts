/**
 * The resource types the CLI lists, gets, watches, waits for and deletes: their names (kubectl
 * style: plural, singular, short names), where the API serves them, and the one NotFound message.
 * A new type is one more entry of RESOURCES (an agent's) or FLEET_RESOURCES (with `--fleet`: the
 * nodes, the images across devices, and the published policies and workloads).
 */
import { CliError } from './client.js';
import { printable } from './output.js';

export type ResourceName = 'images' | 'policies' | 'workloads' | 'nodes';

/** `--node` and `--node-selector`: the devices a fleet read covers. */
export interface DevicePick {
  node?: string;
  nodeSelector?: string;
}

export interface Resource {
  name: ResourceName;
  /** kubectl's resource name, in NotFound messages: `imagepolicies "x" not found` */
  plural: string;
  /** the `-o name` prefix: `imagepolicy/cleanup` */
  singular: string;
  /** every name the CLI takes for it */
  aliases: readonly string[];
  /** the kind of its list: `ImageList` */
  listKind: string;
  /** the manifest kind `delete` sends (images are removed with rmi) */
  kind: string;
  /** `kind=` of the change feed (`/v1/watch`) */
  watch: string;
  /** the fleet's images: a row per node and image, so a name finds a list (one item per node holding it) */
  fleet?: boolean;
  listPath(all: boolean, pick?: DevicePick): string;
  onePath(name: string, pick?: DevicePick): string;
}

const seg = encodeURIComponent;

export const RESOURCES: readonly Resource[] = [
  {
    name: 'images', plural: 'images', singular: 'image', aliases: ['image', 'images', 'img'], listKind: 'ImageList', kind: 'Image', watch: 'images',
    listPath: (all) => `/v1/images${all ? '?all=true' : ''}`, onePath: (n) => `/v1/images/${seg(n)}`,
  },
  {
    name: 'policies', plural: 'imagepolicies', singular: 'imagepolicy', aliases: ['policy', 'policies', 'imagepolicy', 'imagepolicies', 'ip'], listKind: 'ImagePolicyList', kind: 'ImagePolicy', watch: 'imagepolicies',
    listPath: () => '/v1/objects/imagepolicy', onePath: (n) => `/v1/objects/imagepolicy/${seg(n)}`,
  },
  {
    name: 'workloads', plural: 'workloads', singular: 'workload', aliases: ['workload', 'workloads', 'wl'], listKind: 'WorkloadList', kind: 'Workload', watch: 'workloads',
    listPath: () => '/v1/workloads', onePath: (n) => `/v1/workloads/${seg(n)}`,
  },
];

const query = (all: boolean, p: DevicePick = {}) => {
  const q = new URLSearchParams({ ...(all ? { all: 'true' } : {}), ...(p.node !== undefined ? { node: p.node } : {}), ...(p.nodeSelector !== undefined ? { nodeSelector: p.nodeSelector } : {}) }).toString();
  return q ? `?${q}` : '';
};

/** With `--fleet` (the hub answers, cli/commands/fleet-client.ts): the policies and workloads are the published set's. */
export const FLEET_RESOURCES: readonly Resource[] = [
  {
    name: 'nodes', plural: 'nodes', singular: 'node', aliases: ['node', 'nodes', 'no'], listKind: 'NodeList', kind: 'Node', watch: 'nodes',
    listPath: () => '/v1/nodes', onePath: (n) => `/v1/nodes/${seg(n)}`,
  },
  {
    ...RESOURCES[0]!, fleet: true,
    listPath: (all, p) => `/v1/images${query(all, p)}`, onePath: (n, p) => `/v1/images/${seg(n)}${query(false, p)}`,
  },
  RESOURCES[1]!,
  RESOURCES[2]!,
];

/** The resource types of the agent, or of the fleet's hub. */
export const resourcesFor = (fleet: boolean): readonly Resource[] => (fleet ? FLEET_RESOURCES : RESOURCES);

export function findResource(s: string, fleet = false): Resource | undefined {
  const n = s.toLowerCase();
  return resourcesFor(fleet).find((r) => r.aliases.includes(n));
}

export function resourceOf(s: string, fleet = false): Resource {
  const r = findResource(s, fleet);
  if (r) return r;
  const nodes = !fleet && findResource(s, true)?.name === 'nodes' ? ': nodes are the fleet\'s, give --fleet URL' : '';
  throw new CliError(`error: the server doesn't have a resource type "${s}" (known: ${resourcesFor(fleet).map((x) => x.name).join(', ')})${nodes}`);
}

/** kubectl's NotFound, the same for get, describe, delete and wait. */
export function notFound(r: Resource, name: string): CliError {
  return new CliError(`Error from server (NotFound): ${r.plural} "${name}" not found`);
}

/**
 * An API error turned into kubectl's wording when it is a 404 for `name`. The agent's message may
 * quote what it was sent: it is made printable here, for every command that prints it.
 */
export function fromServer(err: unknown, r: Resource, name: string): unknown {
  const status = (err as { status?: number }).status;
  if (status === 404) return notFound(r, printable(name));
  if (status !== undefined) return new CliError(`Error from server: ${printable((err as Error).message)}`);
  return err; // the agent is unreachable: that message says so
}

/** One object to act on. */
export interface Target {
  resource: Resource;
  name: string;
}

/**
 * kubectl's argument forms: `TYPE[,TYPE...] [NAME...]` or `TYPE/NAME...` (what `-o name` prints).
 * A name may hold `/` itself (an image tag: `image/localhost:5000/app:1`).
 */
export function parseTargets(args: readonly string[], fleet = false): { resources: Resource[]; names: Target[] } {
  if (args.length === 0) throw new CliError(`error: you must specify the type of resource to get (${resourcesFor(fleet).map((x) => x.name).join(', ')})`);
  if (args[0]!.includes('/') && !args[0]!.includes(',')) {
    const names = args.map((a) => {
      const i = a.indexOf('/');
      if (i <= 0 || i === a.length - 1) throw new CliError(`error: arguments in resource/name form must have a single resource and name: ${JSON.stringify(a)}`);
      return { resource: resourceOf(a.slice(0, i), fleet), name: a.slice(i + 1) };
    });
    return { resources: [...new Set(names.map((n) => n.resource))], names };
  }
  const resources = [...new Set(args[0]!.split(',').filter(Boolean).map((a) => resourceOf(a, fleet)))];
  const rest = args.slice(1);
  if (rest.some((a) => a.includes('/') && findResource(a.slice(0, a.indexOf('/')), fleet))) {
    throw new CliError('error: there is no need to specify a resource type as a separate argument when passing arguments in resource/name form');
  }
  if (rest.length > 0 && resources.length > 1) throw new CliError('error: names with several resource types: use TYPE/NAME arguments');
  return { resources, names: rest.map((name) => ({ resource: resources[0]!, name })) };
}
