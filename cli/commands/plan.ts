import { Command } from 'commander';
import type { DiskView } from '../../crd/api/disk.js';
import { diskLine } from '../disk.js';
import { clientFor, type GlobalOpts } from '../context.js';
import { ago, bytes, indent, parseOutput, shortId, table, toJson, toYaml, until } from '../output.js';

interface PlanItem {
  image: string;
  tags: string[];
  state: string;
  when: 'now' | 'later' | 'never';
  rule: string | null;
  removeAt: string | null;
  protectedBy: string | null;
  usedBy?: string[];
  sizeBytes: number;
  uniqueSizeBytes?: number | null;
  lastUsedAt?: string | null;
}

export function planCommand(): Command {
  return new Command('plan')
    .description('what would be removed now and later, by which rule, and for disk pressure, without acting')
    .option('-o, --output <format>', 'json|yaml')
    .action(async (opts: { output?: string }, cmd: Command) => {
      const format = parseOutput(opts.output, ['json', 'yaml']);
      const plan = await clientFor(cmd.optsWithGlobals<GlobalOpts>()).request<{ now: string; items: PlanItem[]; disk: DiskView | null }>('GET', '/v1/plan');
      if (format === 'json' || format === 'yaml') {
        process.stdout.write(format === 'json' ? toJson(plan) : await toYaml(plan));
        return;
      }
      const now = Date.parse(plan.now);
      const section = (title: string, items: PlanItem[], last: string, cell: (i: PlanItem) => string, size = (i: PlanItem) => bytes(i.sizeBytes)) => {
        process.stdout.write(`${title} (${items.length}):\n`);
        if (items.length === 0) return;
        process.stdout.write(indent(table(['IMAGE ID', 'TAGS', 'STATE', last, 'SIZE'], items.map((i) => [shortId(i.image), i.tags.join(',') || '<none>', i.state, cell(i), size(i)]))));
      };
      process.stdout.write(diskLine(plan.disk ?? null));
      const by = (w: PlanItem['when']) => plan.items.filter((i) => i.when === w);
      section('Remove now', by('now'), 'RULE', (i) => i.rule ?? '');
      const byId = new Map(plan.items.map((i) => [i.image, i]));
      const pressure = (plan.disk?.wouldRemove ?? []).map((id) => byId.get(id)).filter((i): i is PlanItem => i !== undefined);
      if (plan.disk?.underPressure) section('Remove for disk pressure now, least recently used first', pressure, 'LAST USED', (i) => ago(i.lastUsedAt ?? null, now), (i) => (i.uniqueSizeBytes == null ? bytes(i.sizeBytes) : `${bytes(i.uniqueSizeBytes)} unique`));
      section('Remove later', by('later'), 'WHEN / RULE', (i) => `${until(i.removeAt, now)} (${i.removeAt}) by ${i.rule}`);
      section('Kept', by('never'), 'WHY', (i) => (i.state === 'in-use' ? `in use by ${i.usedBy?.join(', ') || 'a container'}` : (i.protectedBy ?? '')));
      const reclaim = [...by('now'), ...by('later')].reduce((n, i) => n + i.sizeBytes, 0);
      process.stdout.write(`\n${bytes(reclaim)} would be reclaimed.\n`);
    });
}
