/**
 * The usage of the filesystem that holds the engine's data root: `DockerRootDir` from the engine's
 * `GET /info`, measured with statfs (used = blocks - available blocks, as `df` and SPEC §8 count).
 * A remote engine's path is usually not visible here: then there is no figure.
 */
import { statfs } from 'node:fs/promises';

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
