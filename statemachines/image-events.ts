/**
 * The events the image machine (image.ts) takes, and the rule verdict an observation carries. Pure:
 * time arrives as `now` (ms since the epoch).
 */

/** The removal rule that won for this image, as the controller evaluated it. */
export interface RuleVerdict {
  /** `policy/removal[index]` */
  id: string;
  deleteAfterMs: number;
  /** the duration as the manifest wrote it, e.g. `30m` */
  deleteAfter: string;
}

export interface ObserveEvent {
  type: 'OBSERVE';
  now: number;
  present: boolean;
  tags: string[];
  repoDigests: string[];
  sizeBytes: number;
  /** names of the containers (running or not, anyone's) that reference the image */
  usedBy: string[];
  rule: RuleVerdict | null;
  protectedBy: string | null;
  agentDownloaded?: boolean;
  downloadedAt?: number | null;
}
export interface RemovedEvent {
  type: 'REMOVED';
  now: number;
  reason: string;
}
/**
 * A removal recorded `removable` (write-ahead) that its run no longer needs and never asked the
 * engine for (disk pressure: the target was reached before its turn): back to idle, with the reason.
 */
export interface RemoveCancelledEvent {
  type: 'REMOVE_CANCELLED';
  now: number;
  reason: string;
}
export interface RemoveFailedEvent {
  type: 'REMOVE_FAILED';
  now: number;
  /** true when the engine said a container uses it (409) */
  inUse: boolean;
  error: string;
  usedBy?: string[];
  /** tags the executor removed and put back after the refusal */
  restored?: string[];
  /** refused (409) with no container using it: not retried while nothing changes; back to idle, protected by this */
  terminal?: string;
}
/** A removal asked for by name (imagectl rmi): recorded `removable` before the engine is asked. */
export interface RemoveRequestedEvent {
  type: 'REMOVE_REQUESTED';
  now: number;
  reason: string;
}
/** A container referenced the image at `at` (an engine event), seen in a list or not; or `at` ends history that could not be seen. */
export interface UsedEvent {
  type: 'USED';
  now: number;
  at: number;
  reason: string;
}
export type ImageEvent = ObserveEvent | RemovedEvent | RemoveFailedEvent | RemoveRequestedEvent | RemoveCancelledEvent | UsedEvent;
