import { Command } from 'commander';
import { CliError, type Client } from '../client.js';
import { clientFor, type GlobalOpts } from '../context.js';
import { matchesSelector, parseSelector } from '../../crd/fields/label-selector.js';
import { nameOf, parseFormat, render, type Format, type Group } from '../printer.js';
import { fromServer, parseTargets, RESOURCES, type Resource, type Target } from '../resources.js';
import { follow, WatchPrinter, type WatchEvent } from '../watch.js';

interface GetOpts {
  output?: string;
  all: boolean;
  selector?: string;
  watch: boolean;
  watchOnly: boolean;
  outputWatchEvents: boolean;
  sortBy?: string;
  headers: boolean;
  ignoreNotFound: boolean;
  node?: string;
  nodeSelector?: string;
}

type Selector = ((labels: Record<string, string> | undefined) => boolean) | null;

interface ListAnswer {
  items?: unknown[];
  engine?: { reachable: boolean; error: string | null };
  manifests?: { dir: string; error: string | null };
}

const labelsOf = (i: unknown) => (i as { metadata?: { labels?: Record<string, string> } }).metadata?.labels;

function selectorOf(s: string | undefined): Selector {
  if (s === undefined) return null;
  const sel = parseSelector(s);
  if (!sel.ok) throw new CliError(`error: ${sel.error}`);
  return (labels) => matchesSelector(sel.requirements, labels);
}

/** What the agent warns about beside a list (a broken --manifests set, an unreachable engine). */
function warn(res: ListAnswer): void {
  if (res.manifests?.error) process.stderr.write(`warning: --manifests ${res.manifests.dir}: the last good set stays applied: ${res.manifests.error}\n`);
  if (res.engine && !res.engine.reachable) process.stderr.write(`warning: the Docker engine is unreachable (${res.engine.error}); showing the last known state\n`);
}

async function listed(client: Client, resources: readonly Resource[], all: boolean, select: Selector): Promise<Group[]> {
  const answers = await Promise.all(resources.map((r) => client.request<ListAnswer>('GET', r.listPath(all))));
  const warned = new Set<string>();
  for (const a of answers) {
    const key = JSON.stringify([a.manifests?.error, a.engine?.reachable]);
    if (!warned.has(key)) warn(a);
    warned.add(key);
  }
  return resources.map((resource, i) => ({ resource, items: (answers[i]!.items ?? []).filter((it) => !select || select(labelsOf(it))) }));
}

/** Objects asked for by name; the missing ones are reported kubectl's way. Returns the groups and whether any was missing. */
async function named(client: Client, targets: readonly Target[], ignoreNotFound: boolean): Promise<{ groups: Group[]; missing: boolean }> {
  const groups = new Map<Resource, unknown[]>();
  let missing = false;
  for (const t of targets) {
    try {
      const item = await client.request('GET', t.resource.onePath(t.name));
      groups.set(t.resource, [...(groups.get(t.resource) ?? []), item]);
    } catch (err) {
      const e = fromServer(err, t.resource, t.name);
      if ((err as { status?: number }).status === 404 && ignoreNotFound) continue;
      if ((err as { status?: number }).status === undefined) throw e;
      process.stderr.write(`${(e as Error).message}\n`);
      missing = true;
    }
  }
  return { groups: [...groups].map(([resource, items]) => ({ resource, items })), missing };
}

async function watchGet(client: Client, resource: Resource, names: readonly Target[], opts: GetOpts, format: Format, select: Selector): Promise<void> {
  // names resolve to the objects' own names first (an image tag to its ID)
  let wanted: Set<string> | null = null;
  if (names.length) {
    const found = await named(client, names, false);
    if (found.missing) {
      process.exitCode = 1;
      return;
    }
    wanted = new Set(found.groups.flatMap((g) => g.items.map(nameOf)));
  }
  const printer = await WatchPrinter.create(resource, { format, noHeaders: !opts.headers, events: opts.outputWatchEvents });
  const initial: { type: string; object: unknown }[] = [];
  let synced = false;
  const keep = (o: unknown) => (!wanted || wanted.has(nameOf(o))) && (!select || select(labelsOf(o)));
  const emit = (batch: { type: string; object: unknown }[]) => void process.stdout.write(printer.print(batch));
  await follow(client, resource, { all: opts.all }, (e: WatchEvent) => {
    if (e.type === 'SYNCED') {
      synced = true;
      if (!opts.watchOnly) emit(initial);
    } else if (e.object !== undefined && keep(e.object)) {
      if (synced) emit([{ type: e.type, object: e.object }]);
      else initial.push({ type: e.type, object: e.object });
    }
  });
}

export function getCommand(): Command {
  return new Command('get')
    .description('list images, policies or workloads (kubectl style: TYPE[,TYPE] [NAME...], TYPE/NAME, -l, -w, -o jsonpath|custom-columns)')
    .argument('<resource>', `${RESOURCES.map((r) => r.name).join(' | ')}, several comma-separated, or TYPE/NAME`)
    .argument('[names...]', 'objects by name: a policy or workload name, or an image ID, tag or digest')
    .option('-o, --output <format>', 'wide|json|yaml|name|jsonpath=TEMPLATE|jsonpath-file=FILE|custom-columns=SPEC|custom-columns-file=FILE')
    .option('-A, --all', 'images: include removed ones (their history stays in the audit log)', false)
    .option('-l, --selector <selector>', "label selector: k=v, k!=v, 'k in (a,b)', 'k notin (a,b)', k, !k (comma: and); images by their engine labels")
    .option('-w, --watch', 'after listing, print a line per change (from the agent\'s change feed)', false)
    .option('--watch-only', 'print only the changes, not the current objects', false)
    .option('--output-watch-events', 'with --watch: say ADDED, MODIFIED or DELETED', false)
    .option('--sort-by <jsonpath>', 'sort the list by a field, e.g. .status.sizeBytes or {.metadata.name}')
    .option('--no-headers', 'print tables without their header')
    .option('--ignore-not-found', 'a missing named object is not an error', false)
    .option('--node <name>', 'with --fleet: one device')
    .option('--node-selector <selector>', 'with --fleet: the devices whose node labels match')
    .action(async (resource: string, rest: string[], opts: GetOpts, cmd: Command) => {
      const g = cmd.optsWithGlobals<GlobalOpts>();
      // nodes, and images across devices, are the hub's (SPEC §10)
      const nodes = /^(nodes?|no)$/i.test(resource);
      const fleetOnly = nodes || opts.node !== undefined || opts.nodeSelector !== undefined;
      if (fleetOnly && g.fleet === undefined) throw new CliError('error: nodes, --node and --node-selector are the fleet\'s: give --fleet URL');
      if (g.fleet !== undefined && (fleetOnly || /^(images?|img)$/i.test(resource))) {
        const f = await import('./fleet-get.js');
        return nodes ? f.getNodes(g, rest[0], opts) : f.getImages(g, rest[0], opts);
      }
      const { resources, names } = parseTargets([resource, ...rest]);
      const format = parseFormat(opts.output);
      const select = selectorOf(opts.selector);
      if (select && names.length) throw new CliError('error: a name and a label selector (-l) cannot be used together');
      const client = clientFor(g);
      opts.watch ||= opts.watchOnly;
      if (opts.watch) {
        if (resources.length !== 1) throw new CliError('error: you may only watch one resource type at a time');
        return watchGet(client, resources[0]!, names, opts, format, select);
      }
      const { groups, missing } = names.length ? await named(client, names, opts.ignoreNotFound) : { groups: await listed(client, resources, opts.all, select), missing: false };
      const noItems = groups.every((g) => g.items.length === 0);
      if (noItems && !names.length && ['table', 'wide', 'custom-columns', 'name'].includes(format.kind)) process.stderr.write('No resources found\n');
      else if (!noItems || !names.length) process.stdout.write(await render(groups, { format, noHeaders: !opts.headers, sortBy: opts.sortBy, single: names.length === 1 }));
      if (missing) process.exitCode = 1;
    });
}
