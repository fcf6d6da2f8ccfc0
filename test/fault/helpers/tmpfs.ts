/** A tiny tmpfs for the state dir (needs root, like the whole test stack), filled and freed at will. */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fillToEnospc } from '../../helpers/disk.js';

export class Tmpfs {
  readonly dir: string;
  private readonly filler: string;

  constructor(sizeKb: number) {
    this.dir = mkdtempSync(join(tmpdir(), 'ictl-tmpfs-'));
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeKb}k,mode=0700`, 'tmpfs', this.dir]);
    this.filler = join(this.dir, 'filler');
  }

  /** Write until the file system says ENOSPC. */
  fill(): void {
    fillToEnospc(this.filler);
  }

  free(): void {
    rmSync(this.filler, { force: true });
  }

  remount(mode: 'ro' | 'rw'): void {
    execFileSync('mount', ['-o', `remount,${mode}`, this.dir]);
  }

  dispose(): void {
    try {
      execFileSync('umount', [this.dir]);
    } catch {
      execFileSync('umount', ['-l', this.dir]);
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}
