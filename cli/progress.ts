/**
 * Pull progress: one bar per layer on a TTY (cli-progress), nothing while piped (only the result
 * line is printed). Errors always reach stderr.
 */
import type { SingleBar } from 'cli-progress';
import type { ProgressItem } from '../crd/api/progress.js';

export interface PullProgress {
  update(item: ProgressItem): void;
  stop(): void;
}

/** cli-progress is loaded only for a TTY. */
export async function pullProgress(stream: NodeJS.WriteStream = process.stderr): Promise<PullProgress> {
  if (!stream.isTTY) return { update: () => {}, stop: () => {} };
  const { default: cliProgress } = await import('cli-progress');
  const multi = new cliProgress.MultiBar(
    { stream, format: ' {id} {phase} [{bar}] {percentage}% {value}/{total}', hideCursor: true, clearOnComplete: false, barsize: 24, forceRedraw: true },
    cliProgress.Presets.shades_classic,
  );
  const bars = new Map<string, SingleBar>();
  return {
    update(item) {
      if (!item.id || !item.status) return;
      let bar = bars.get(item.id);
      const total = item.progressDetail?.total ?? 0;
      const current = item.progressDetail?.current ?? 0;
      const phase = item.status.padEnd(18).slice(0, 18);
      if (!bar) {
        if (!/^[a-f0-9]{12}$/.test(item.id)) return; // tag lines, not layers
        bar = multi.create(Math.max(total, 1), 0, { id: item.id, phase });
        bars.set(item.id, bar);
      }
      if (total > 0) bar.setTotal(total);
      const done = /complete|already exists/i.test(item.status);
      bar.update(done ? bar.getTotal() : current, { phase });
    },
    stop() {
      multi.stop();
    },
  };
}
