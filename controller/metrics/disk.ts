/**
 * The disk metrics. The usage of the filesystem that holds the engine's data root: `DockerRootDir`
 * from the engine's `GET /info`, measured with statfs (used = blocks - available blocks, as `df`
 * and SPEC §8 count). A remote engine's path is usually not visible here: then there is no figure.
 * The disk budgets (thresholds, limits, pressure) come from the reconciler's last measurement.
 */
import { statfs } from 'node:fs/promises';
import { Gauge, type Registry } from 'prom-client';
import { exceeded, type DiskState } from '../reconcile/pressure.js';

/** The part of the engine client this needs. */
export interface InfoSource {
  info(): Promise<{ DockerRootDir?: string }>;
}

export class DataRootUsage {
  private root: string | null = null;

  constructor(private readonly engine: InfoSource) {}

  /** The data root's path and used fraction, or null when it is not known or not visible. */
  async usage(): Promise<{ path: string; ratio: number } | null> {
    try {
      this.root ??= (await this.engine.info()).DockerRootDir ?? null;
    } catch {
      return null; // the engine is away: asked again at the next scrape
    }
    if (!this.root) return null;
    try {
      const s = await statfs(this.root);
      return s.blocks > 0 ? { path: this.root, ratio: (s.blocks - s.bavail) / s.blocks } : null;
    } catch {
      return null;
    }
  }
}

/** The part of the agent's state the budget gauges read: the disk as the last pass measured it. */
export interface DiskSource {
  disk?: DiskState | null;
}

/**
 * The disk budgets (spec.diskPressure) as gauges, from the last pass's measurement: the percent
 * form's thresholds as fractions (to set against imagectl_disk_used_ratio), the byte form's image
 * bytes and limits, and whether each budget is exceeded now. No series without a budget.
 */
export function diskBudgetGauges(src: () => DiskSource, registers: Registry[]): void {
  new Gauge({
    name: 'imagectl_disk_threshold_ratio', help: 'A disk budget\'s thresholds (spec.diskPressure, percent form) as fractions of the data root\'s filesystem: high starts removal for space, removal goes on until below low', labelNames: ['policy', 'threshold'], registers,
    collect() {
      this.reset();
      for (const b of src().disk?.budgets ?? []) {
        if (b.form !== 'percent') continue;
        this.set({ policy: b.policy, threshold: 'high' }, b.high / 100);
        this.set({ policy: b.policy, threshold: 'low' }, b.low / 100);
      }
    },
  });
  new Gauge({
    name: 'imagectl_disk_image_limit_bytes', help: 'A disk budget\'s limits in image bytes (spec.diskPressure, byte form): max starts removal for space, removal goes on until below target', labelNames: ['policy', 'threshold'], registers,
    collect() {
      this.reset();
      for (const b of src().disk?.budgets ?? []) {
        if (b.form !== 'bytes') continue;
        this.set({ policy: b.policy, threshold: 'max' }, b.max);
        this.set({ policy: b.policy, threshold: 'target' }, b.target);
      }
    },
  });
  new Gauge({
    name: 'imagectl_disk_image_bytes', help: 'The engine\'s image bytes with shared layers counted once (GET /system/df), as last measured, for each byte-form disk budget (to set against imagectl_disk_image_limit_bytes)', labelNames: ['policy'], registers,
    collect() {
      this.reset();
      const d = src().disk;
      const bytes = d?.usage.imageBytes;
      if (typeof bytes === 'number') for (const b of d!.budgets) if (b.form === 'bytes') this.set({ policy: b.policy }, bytes);
    },
  });
  new Gauge({
    name: 'imagectl_disk_pressure', help: '1 while a disk budget is exceeded (removal for space until below its target), else 0; per policy with a budget, absent while it could not be measured', labelNames: ['policy'], registers,
    collect() {
      this.reset();
      const d = src().disk;
      for (const b of d?.budgets ?? []) {
        const over = exceeded(b, d!.usage);
        if (over !== null) this.set({ policy: b.policy }, over ? 1 : 0);
      }
    },
  });
}
