/**
 * `imagectl wait --for=condition=Ready workload/NAME --timeout 60s`, kubectl's wait: follows the
 * agent's change feed (no polling) until every object meets the condition, is deleted
 * (`--for=delete`), or has a field value (`--for=jsonpath='{.status.phase}'=Running`).
 */
import { Command } from 'commander';
import { parseDuration } from '../../crd/fields/duration.js';
import { matchesSelector, parseSelector } from '../../crd/fields/label-selector.js';
import { CliError, type Client } from '../client.js';
import { clientFor, type GlobalOpts } from '../context.js';
import { evalPath, relaxedPath, show } from '../jsonpath.js';
import { nameOf } from '../printer.js';
import { fromServer, parseTargets, type Resource } from '../resources.js';
import { follow, type WatchEvent } from '../watch.js';

type Condition = { kind: 'delete' } | { kind: 'condition'; type: string; status: string } | { kind: 'jsonpath'; path: string; value: string | null };

/** `delete`, `condition=Ready`, `condition=Ready=false`, `jsonpath={.status.phase}=Running`. */
export function parseFor(s: string): Condition {
  if (s === 'delete') return { kind: 'delete' };
  const cond = /^condition=([^=]+)(?:=(.*))?$/.exec(s);
  if (cond) return { kind: 'condition', type: cond[1]!, status: cond[2] ?? 'True' };
  const jp = /^jsonpath=(\{.*\}|[^=]+)(?:=(.*))?$/.exec(s);
  if (jp) return { kind: 'jsonpath', path: relaxedPath(jp[1]!), value: jp[2] ?? null };
  throw new CliError(`error: unrecognized --for ${JSON.stringify(s)}: use delete, condition=TYPE[=STATUS] or jsonpath='{PATH}'=VALUE`);
}

/** Does `object` (undefined: it does not exist) meet the condition? */
export function meets(c: Condition, object: unknown): boolean {
  if (c.kind === 'delete') return object === undefined;
  if (object === undefined) return false;
  if (c.kind === 'condition') {
    const conds = (object as { status?: { conditions?: { type: string; status: string }[] } }).status?.conditions ?? [];
    return conds.some((x) => x.type.toLowerCase() === c.type.toLowerCase() && x.status.toLowerCase() === c.status.toLowerCase());
  }
  const values = evalPath(c.path, object).filter((v) => v !== undefined && v !== null);
  return c.value === null ? values.length > 0 : values.some((v) => show(v) === c.value);
}

const what = (c: Condition) => (c.kind === 'delete' ? 'deleted' : 'condition met');

interface WaitOpts {
  for: string;
  timeout: string;
  selector?: string;
  all: boolean;
}

/** The objects to wait for, by the name the change feed uses (an image tag becomes its ID). */
async function resolveNames(client: Client, resource: Resource, names: readonly string[], c: Condition): Promise<Map<string, string>> {
  const out = new Map<string, string>(); // feed name → what the user called it
  for (const n of names) {
    try {
      out.set(nameOf(await client.request('GET', resource.onePath(n))), n);
    } catch (err) {
      if ((err as { status?: number }).status === 404 && c.kind === 'delete') process.stdout.write(`${resource.singular}/${n} deleted\n`);
      else throw fromServer(err, resource, n);
    }
  }
  return out;
}

/** What the feed showed so far, and whether every object asked for meets the condition. */
class Progress {
  readonly seen = new Map<string, unknown>();
  synced = false;
  failure: Error | null = null;

  constructor(private readonly resource: Resource, private readonly c: Condition, private readonly pending: Map<string, string> | null, private readonly select: ((o: unknown) => boolean) | null) {}

  /** Take one event; true when the wait is over (met, or failed). */
  take(e: WatchEvent): boolean {
    if (e.type === 'SYNCED') {
      this.synced = true;
      const absent = this.pending && this.c.kind !== 'delete' ? [...this.pending].find(([name]) => !this.seen.has(name)) : undefined;
      if (absent) this.failure = fromServer({ status: 404 }, this.resource, absent[1]) as Error;
      else if (!this.pending && this.seen.size === 0) this.failure = new CliError('error: no matching resources found');
      return this.failure !== null || this.done();
    }
    const obj = e.object;
    if (obj === undefined) return false;
    const name = nameOf(obj);
    // with -l or --all: the objects that matched when the wait began
    if (!this.pending && (this.synced ? !this.seen.has(name) : this.select !== null && !this.select(obj))) return false;
    this.seen.set(name, e.type === 'DELETED' ? undefined : obj);
    return this.synced && this.done();
  }

  private done(): boolean {
    const out = (n: string) => process.stdout.write(`${this.resource.singular}/${n} ${what(this.c)}\n`);
    if (!this.pending) {
      if (![...this.seen.values()].every((obj) => meets(this.c, obj))) return false;
      for (const n of this.seen.keys()) out(n);
      return true;
    }
    for (const [name, asked] of this.pending) {
      if (!meets(this.c, this.seen.get(name))) continue;
      out(asked);
      this.pending.delete(name);
    }
    return this.pending.size === 0;
  }
}

async function waitFor(client: Client, resource: Resource, names: readonly string[], c: Condition, o: WaitOpts, signal: AbortSignal): Promise<void> {
  const sel = o.selector === undefined ? null : parseSelector(o.selector);
  if (sel && !sel.ok) throw new CliError(`error: ${sel.error}`);
  const select = sel?.ok ? (obj: unknown) => matchesSelector(sel.requirements, (obj as { metadata: { labels?: Record<string, string> } }).metadata.labels) : null;
  const pending = names.length ? await resolveNames(client, resource, names, c) : null;
  if (pending && pending.size === 0) return;
  const progress = new Progress(resource, c, pending, select);
  await follow(client, resource, { signal }, (e) => progress.take(e));
  if (progress.failure) throw progress.failure;
}

export function waitCommand(): Command {
  return new Command('wait')
    .description("wait for objects to meet a condition: --for=condition=Ready, --for=delete, --for=jsonpath='{.status.phase}'=Running (follows the agent's change feed)")
    .argument('<args...>', 'TYPE/NAME..., TYPE NAME..., or TYPE with -l or --all')
    .requiredOption('--for <condition>', 'delete | condition=TYPE[=STATUS] | jsonpath={PATH}[=VALUE]')
    .option('--timeout <duration>', 'give up after this long (exit 1)', '30s')
    .option('-l, --selector <selector>', 'wait for every object of the type whose labels match')
    .option('--all', 'wait for every object of the type', false)
    .action(async (args: string[], opts: WaitOpts, cmd: Command) => {
      const c = parseFor(opts.for);
      const timeout = parseDuration(opts.timeout);
      if (!timeout.ok) throw new CliError(`error: --timeout: ${timeout.error}`);
      const { resources, names } = parseTargets(args);
      if (resources.length !== 1) throw new CliError('error: wait works on one resource type at a time');
      if (!names.length && opts.selector === undefined && !opts.all) throw new CliError('error: resource(s) were provided, but no name was specified: give NAME, TYPE/NAME, -l SELECTOR or --all');
      const resource = resources[0]!;
      const client = clientFor(cmd.optsWithGlobals<GlobalOpts>());
      const late = new AbortController();
      const timer = setTimeout(() => late.abort(new CliError(`error: timed out waiting for the condition on ${resource.plural}${names.length === 1 ? `/${names[0]!.name}` : ''}`)), timeout.ms);
      try {
        await waitFor(client, resource, names.map((n) => n.name), c, opts, late.signal);
      } finally {
        clearTimeout(timer);
      }
    });
}
