/**
 * The resource types the CLI lists, gets, watches, waits for and deletes: their names (kubectl
 * style: plural, singular, short names), where the API serves them, and the one NotFound message.
 * A new type (a fleet's nodes) is one more entry of RESOURCES.
 */
import { CliError } from './client.js';

export type ResourceName = 'images' | 'policies' | 'workloads';

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
  listPath(all: boolean): string;
  onePath(name: string): string;
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

export function findResource(s: string): Resource | undefined {
  const n = s.toLowerCase();
  return RESOURCES.find((r) => r.aliases.includes(n));
}

export function resourceOf(s: string): Resource {
  const r = findResource(s);
  if (!r) throw new CliError(`error: the server doesn't have a resource type "${s}" (known: ${RESOURCES.map((x) => x.name).join(', ')})`);
  return r;
}

/** kubectl's NotFound, the same for get, describe, delete and wait. */
export function notFound(r: Resource, name: string): CliError {
  return new CliError(`Error from server (NotFound): ${r.plural} "${name}" not found`);
}

/** An API error turned into kubectl's wording when it is a 404 for `name`. */
export function fromServer(err: unknown, r: Resource, name: string): unknown {
  const status = (err as { status?: number }).status;
  if (status === 404) return notFound(r, name);
  if (status !== undefined) return new CliError(`Error from server: ${(err as Error).message}`);
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
export function parseTargets(args: readonly string[]): { resources: Resource[]; names: Target[] } {
  if (args.length === 0) throw new CliError(`error: you must specify the type of resource to get (${RESOURCES.map((x) => x.name).join(', ')})`);
  if (args[0]!.includes('/') && !args[0]!.includes(',')) {
    const names = args.map((a) => {
      const i = a.indexOf('/');
      if (i <= 0 || i === a.length - 1) throw new CliError(`error: arguments in resource/name form must have a single resource and name: ${JSON.stringify(a)}`);
      return { resource: resourceOf(a.slice(0, i)), name: a.slice(i + 1) };
    });
    return { resources: [...new Set(names.map((n) => n.resource))], names };
  }
  const resources = [...new Set(args[0]!.split(',').filter(Boolean).map(resourceOf))];
  const rest = args.slice(1);
  if (rest.some((a) => a.includes('/') && findResource(a.slice(0, a.indexOf('/'))))) {
    throw new CliError('error: there is no need to specify a resource type as a separate argument when passing arguments in resource/name form');
  }
  if (rest.length > 0 && resources.length > 1) throw new CliError('error: names with several resource types: use TYPE/NAME arguments');
  return { resources, names: rest.map((name) => ({ resource: resources[0]!, name })) };
}
