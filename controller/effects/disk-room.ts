/**
 * Disk room around the ways an image comes in (SPEC §8): before a pull, room is made for what its
 * manifest says it will need, and a pull that does not fit fails at once, before any byte is
 * downloaded, with `InsufficientDisk`; a pull that runs out of space anyway (ENOSPC) is `DiskFull`:
 * space is freed and the pull is tried once more. A load is checked against its archive's size.
 * The room itself (measuring, removing candidates) is the reconciler's (reconcile/room.ts); the
 * effects only call it.
 */
export type DiskReason = 'InsufficientDisk' | 'DiskFull';

export class DiskError extends Error {
  constructor(readonly reason: DiskReason, message: string) {
    super(`${reason}: ${message}`);
  }
}

export interface PullRoom {
  /** Make room for a pull of `ref`, or throw DiskError(InsufficientDisk); resolves to the release of what it reserved. */
  forPull(ref: string): Promise<() => void>;
  /** The same for a load of `bytes` (the archive's size). */
  forLoad(name: string, bytes: number): Promise<() => void>;
  /** A pull ran out of space: free some; true when the pull should be tried once more. */
  afterDiskFull(ref: string): Promise<boolean>;
}

/** The engine's (or containerd's) "no space left on device", in any of the forms a pull reports it. */
export function isEnospc(err: unknown): boolean {
  return /no space left on device|ENOSPC/i.test(String((err as Error)?.message ?? err));
}

/** Run `pull` with room made first; on ENOSPC free space and run it once more; DiskFull when that is not enough. */
export async function withRoom<T>(room: PullRoom | undefined, ref: string, pull: () => Promise<T>): Promise<T> {
  if (!room) return pull();
  const release = await room.forPull(ref);
  try {
    try {
      return await pull();
    } catch (err) {
      if (!isEnospc(err)) throw err;
      if (!(await room.afterDiskFull(ref))) throw new DiskError('DiskFull', `the pull of ${ref} ran out of disk space (${(err as Error).message}) and nothing could be freed for it`);
    }
    try {
      return await pull();
    } catch (err) {
      if (isEnospc(err)) throw new DiskError('DiskFull', `the pull of ${ref} ran out of disk space again after space was freed (${(err as Error).message})`);
      throw err;
    }
  } finally {
    release();
  }
}
