/**
 * Measuring the engine's disk, cheaply. The filesystem that holds the engine's data root
 * (`DockerRootDir` from `GET /info`, asked once and kept) is measured with one statfs:
 * usedPercent = 100 × (blocks − available blocks) / blocks, as SPEC §8 counts it (and as `df`
 * counts "used" against what an unprivileged writer can still get). The engine's image bytes with
 * shared layers counted once, and each image's unique bytes, come from `GET /system/df`, which costs
 * far more: it is asked only when the byte form or an eviction order needs it, and kept for as
 * long as the same images are there.
 */
import { statfs } from 'node:fs/promises';
import type { EngineClient } from '../engine/client.js';
import { errorText } from '../engine/errors.js';

/** One statfs of the data root's filesystem. */
export interface FsUsage {
  path: string;
  totalBytes: number;
  /** (blocks − available blocks) × block size */
  usedBytes: number;
  /** available to an unprivileged writer (bavail) */
  availableBytes: number;
  usedPercent: number;
}

/** The engine's images as `/system/df` counts them. */
export interface ImageBytes {
  /** every layer once */
  imageBytes: number;
  /** image ID → bytes no other image shares (what removing it alone frees) */
  unique: ReadonlyMap<string, number>;
}

export function usedPercentOf(s: { blocks: number; bavail: number }): number {
  return s.blocks > 0 ? (100 * (s.blocks - s.bavail)) / s.blocks : 0;
}

export class DiskMeter {
  private root: string | null = null;
  private df: { key: string; at: ImageBytes } | null = null;
  private inflight: Promise<ImageBytes> | null = null;

  constructor(private readonly docker: EngineClient) {}

  /** The engine's data root (asked once; again after `forget`). */
  async dataRoot(): Promise<string> {
    if (this.root) return this.root;
    const info = await this.docker.info();
    if (!info.DockerRootDir) throw new Error('the engine does not report its data root (DockerRootDir)');
    this.root = info.DockerRootDir;
    return this.root;
  }

  /** One statfs of the data root; throws when the agent cannot see that path (a remote engine). */
  async filesystem(): Promise<FsUsage> {
    const path = await this.dataRoot();
    let s: Awaited<ReturnType<typeof statfs>>;
    try {
      s = await statfs(path);
    } catch (err) {
      throw new Error(`cannot measure ${path} here (${errorText(err)}): a remote engine's data root is not visible to the agent; give the budget in image bytes (maxImageBytes, targetImageBytes)`);
    }
    const used = (s.blocks - s.bavail) * s.bsize;
    return { path, totalBytes: s.blocks * s.bsize, usedBytes: used, availableBytes: s.bavail * s.bsize, usedPercent: usedPercentOf(s) };
  }

  /**
   * Image bytes and unique bytes. Each answer is kept under the set of images it is about; `key`
   * (imageSetKey of the images the caller knows) takes the kept answer when it is for the same
   * images (or the one in flight turns out to be), and asks the engine otherwise; undefined always asks.
   */
  async images(key?: string): Promise<ImageBytes> {
    if (key !== undefined && this.df?.key === key) return this.df.at;
    // an answer asked before the caller's change (a removal) would not show it: wait for it, and ask anew
    await this.inflight?.catch(() => undefined);
    if (key !== undefined && this.df?.key === key) return this.df.at;
    return this.ask();
  }

  /** Ask /system/df now (one request at a time: a caller meanwhile shares it). */
  private ask(): Promise<ImageBytes> {
    this.inflight ??= this.docker.systemDf().then((df) => {
      const unique = new Map<string, number>();
      for (const i of df.Images ?? []) unique.set(i.Id, Math.max(0, i.Size - Math.max(0, i.SharedSize)));
      const at = { imageBytes: df.LayersSize ?? [...unique.values()].reduce((a, b) => a + b, 0), unique };
      this.df = { key: imageSetKey(unique.keys()), at };
      return at;
    }).finally(() => {
      this.inflight = null;
    });
    return this.inflight;
  }

  /** The last /system/df answer for `key`, without asking (views), or null. */
  cached(key: string): ImageBytes | null {
    return this.df?.key === key ? this.df.at : null;
  }

  /** The engine went away: ask for the data root again when it is back. */
  forget(): void {
    this.root = null;
    this.df = null;
  }
}

/** The key of a set of images for `DiskMeter.images`: their IDs. */
export function imageSetKey(ids: Iterable<string>): string {
  return [...ids].sort().join(',');
}
