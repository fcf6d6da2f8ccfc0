import { Command } from 'commander';
import type { LogRecord } from '../../crd/api/audit.js';
import { parseDuration } from '../../crd/fields/duration.js';
import { CliError } from '../client.js';
import { clientFor, type GlobalOpts } from '../context.js';
import { parseOutput, shortId, StreamTable } from '../output.js';

/** `--since 1h` (a duration back from now) or an ISO-8601 time. */
export function parseSince(s: string, now = Date.now()): number {
  const d = parseDuration(s);
  if (d.ok) return now - d.ms;
  const t = Date.parse(s);
  if (Number.isNaN(t)) throw new CliError(`--since: ${JSON.stringify(s)} is neither a duration (1h, 30m) nor a time (2026-01-01T00:00:00Z)`);
  return t;
}

export function auditCommand(): Command {
  return new Command('audit')
    .description('the transition history of images and the mutating API calls, oldest first')
    .option('--image <ref>', 'one image: ID, tag or digest')
    .option('--since <when>', 'only records newer than a duration (1h) or a time')
    .option('-f, --follow', 'keep streaming new records', false)
    .option('-o, --output <format>', 'json (one object per line)')
    .option('--node <name>', 'with --fleet: one device\'s records')
    .action(async (opts: { image?: string; since?: string; follow: boolean; output?: string; node?: string }, cmd: Command) => {
      const g = cmd.optsWithGlobals<GlobalOpts>();
      if (g.fleet !== undefined) return (await import('./fleet-act.js')).fleetAudit(g, { ...opts, since: opts.since === undefined ? undefined : parseSince(opts.since) });
      if (opts.node !== undefined) throw new CliError('error: --node is for the fleet\'s audit: give --fleet URL');
      const format = parseOutput(opts.output, ['json']);
      const q = new URLSearchParams();
      if (opts.image) q.set('image', opts.image);
      if (opts.since) q.set('since', String(parseSince(opts.since)));
      if (opts.follow) q.set('follow', 'true');
      const client = clientFor(cmd.optsWithGlobals<GlobalOpts>());
      const rows = new StreamTable(['TIME', 'IMAGE', 'TRANSITION', 'TAGS', 'REASON']);
      const flush = () => process.stdout.write(rows.flush());
      let scheduled = false;
      let count = 0;
      await client.stream(`/v1/audit?${q}`, (item) => {
        const r = item as LogRecord;
        count++;
        if (format === 'json') {
          process.stdout.write(`${JSON.stringify({ time: r.time, image: r.image, tags: r.tags, from: r.from, to: r.to, event: r.event, reason: r.reason, actor: r.actor })}\n`);
          return;
        }
        rows.add(auditRow(r));
        // a whole listing is one table; a followed one prints what each read brought, at once
        if (rows.held >= MAX_HELD_ROWS) flush();
        else if (opts.follow && !scheduled) {
          scheduled = true;
          setImmediate(() => {
            scheduled = false;
            flush();
          });
        }
      });
      if (rows.held > 0) flush();
      if (count === 0 && format !== 'json') process.stderr.write('No audit records found\n');
    });
}

/** Rows held before they are printed: the columns of a long listing are sized by its first rows. */
const MAX_HELD_ROWS = 1000;

/** One record as a row; API calls read `api.apply -> succeeded (uid:0)`, with their actor. */
export function auditRow(r: LogRecord): string[] {
  const transition = r.event.startsWith('api.') ? `${r.event} -> ${r.to} (${r.actor})` : `${r.from ?? '<new>'} -> ${r.to}`;
  return [r.time, r.image ? shortId(r.image) : '-', transition, r.tags.join(',') || '<none>', r.reason];
}
