import { Command } from 'commander';
import { findKind } from '../../crd/kinds.js';
import { matchesSelector, parseSelector } from '../../crd/fields/label-selector.js';
import { CliError, type Client } from '../client.js';
import { clientFor, type GlobalOpts } from '../context.js';
import { findResource, fromServer, parseTargets, type Resource, type Target } from '../resources.js';

const collect = (v: string, prev: string[] = []) => [...prev, v];

interface DeleteOpts {
  filename?: string[];
  recursive: boolean;
  ignoreNotFound: boolean;
  name?: string;
  selector?: string;
  output?: string;
}

/** The objects of the -f files. */
async function fromFiles(opts: DeleteOpts): Promise<Target[]> {
  // the manifest loader (yaml, the validator) only for -f
  const { loadOrFail } = await import('./apply.js');
  const objects = await loadOrFail(opts.filename!, opts.recursive, { name: opts.name, verb: 'deleted' });
  return objects.map((o) => ({ resource: findResource(o.object.kind)!, name: o.object.metadata.name }));
}

/** `delete TYPE -l SELECTOR`: the objects of those types whose labels match. */
async function bySelector(client: Client, resources: readonly Resource[], selector: string): Promise<Target[]> {
  const sel = parseSelector(selector);
  if (!sel.ok) throw new CliError(`error: ${sel.error}`);
  const out: Target[] = [];
  for (const resource of resources) {
    const list = await client.request<{ items: { metadata: { name: string; labels?: Record<string, string> } }[] }>('GET', resource.listPath(false));
    for (const i of list.items) if (matchesSelector(sel.requirements, i.metadata.labels)) out.push({ resource, name: i.metadata.name });
  }
  return out;
}

async function targetsOf(client: Client, args: string[], opts: DeleteOpts): Promise<Target[]> {
  if (opts.filename?.length) {
    if (args.length || opts.selector) throw new CliError('error: give either -f, or TYPE NAME / TYPE/NAME / TYPE -l SELECTOR');
    return fromFiles(opts);
  }
  if (args.length === 0) throw new CliError('error: must specify -f FILE, TYPE NAME, TYPE/NAME or TYPE -l SELECTOR');
  const { resources, names } = parseTargets(args);
  if (opts.selector) {
    if (names.length) throw new CliError('error: a name and a label selector (-l) cannot be used together');
    return bySelector(client, resources, opts.selector);
  }
  if (names.length === 0) throw new CliError(`error: resource(s) were provided, but no name was specified: give NAME, TYPE/NAME or -l SELECTOR`);
  return names;
}

/** Delete one object; an image is removed as `rmi` removes it (only images the agent manages). */
async function deleteOne(client: Client, t: Target): Promise<string> {
  if (t.resource.name === 'images') {
    const r = await client.request<{ image: string }>('POST', '/v1/rmi', { ref: t.name });
    return r.image;
  }
  await client.request('DELETE', `/v1/objects/${encodeURIComponent(t.resource.kind)}/${encodeURIComponent(t.name)}`);
  return t.name;
}

export function deleteCommand(): Command {
  return new Command('delete')
    .description('delete objects: delete TYPE NAME..., TYPE/NAME..., TYPE -l SELECTOR, or -f FILE|DIR|- (an image is removed as rmi removes it)')
    .argument('[args...]', 'imagepolicy|workload|image NAME..., TYPE/NAME... (what get -o name prints)')
    .option('-f, --filename <path>', 'file, directory or - for stdin (repeatable)', collect)
    .option('-R, --recursive', 'process directories recursively', false)
    .option('-l, --selector <selector>', 'delete the objects of the type(s) whose labels match')
    .option('--ignore-not-found', 'treat a missing object as deleted', false)
    .option('-o, --output <format>', 'name: print TYPE/NAME of each deleted object')
    .option('--name <name>', 'the name of an Open Horizon policy read with -f (default: its file name; needed for stdin)')
    .action(async (args: string[], opts: DeleteOpts, cmd: Command) => {
      if (opts.output !== undefined && opts.output !== 'name') throw new CliError(`error: unknown output format ${JSON.stringify(opts.output)}; delete prints -o name`);
      const client = clientFor(cmd.optsWithGlobals<GlobalOpts>());
      const targets = await targetsOf(client, args, opts);
      if (targets.length === 0) process.stderr.write('No resources found\n');
      let failed = 0;
      for (const t of targets) {
        try {
          const name = await deleteOne(client, t);
          process.stdout.write(opts.output === 'name' ? `${t.resource.singular}/${name}\n` : `${findKind(t.resource.kind)?.singular ?? t.resource.singular} "${name}" deleted\n`);
        } catch (err) {
          const status = (err as { status?: number }).status;
          if (status === undefined) throw err; // the agent is unreachable
          if (status === 404 && opts.ignoreNotFound) continue;
          process.stderr.write(`${(fromServer(err, t.resource, t.name) as Error).message}\n`);
          failed++;
        }
      }
      if (failed) process.exitCode = 1;
    });
}
