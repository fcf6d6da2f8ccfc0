/**
 * The simple model: which images may be removed, and when, read from SPEC §2 alone.
 *
 * - The winning rule is the shortest deleteAfter among the rules whose glob matches one of the
 *   image's references (a rule with agentDownloadedOnly only for images the agent brought in).
 * - Protected: a keep glob matches, a workload names one of its references, or no rule matches.
 * - An image counts from its last use: the last moment a container referenced it, or, when none did
 *   since the agent saw it arrive, that first sight (`trueLastUse`). What the agent can know of that
 *   moment (`known`) is later or equal: the first pass that saw it unused, or the use an event told.
 * - It may go when no container references it, it is not protected, and it has been unused for the
 *   winning deleteAfter: `now >= known + deleteAfter` is when the agent must remove it, and
 *   `now >= trueLastUse + deleteAfter` is the line it must never cross.
 */
import type { ImagePolicy } from '../../crd/imagepolicy/type.js';
import { DURATIONS, idOf, modelMatches } from './catalog.js';
import type { World } from './world.js';

/** spec.diskPressure as generated: the percent form (each field may be left to its default) or the byte form. */
export type ModelDisk =
  | { highThresholdPercent?: number; lowThresholdPercent?: number; minAge?: string }
  | { maxImageBytes: string; targetImageBytes: string; minAge?: string };

export interface ModelPolicy {
  name: string;
  rules: { pattern: string; deleteAfter: string; agentDownloadedOnly: boolean }[];
  keep: string[];
  diskPressure?: ModelDisk;
}

export function toManifest(p: ModelPolicy): ImagePolicy {
  return {
    apiVersion: 'imagectl.dev/v1alpha1', kind: 'ImagePolicy', metadata: { name: p.name },
    spec: {
      removal: p.rules.map((r) => ({ imageName: r.pattern, deleteAfter: r.deleteAfter, ...(r.agentDownloadedOnly ? { agentDownloadedOnly: true } : {}) })),
      ...(p.keep.length ? { keep: p.keep } : {}),
      ...(p.diskPressure ? { diskPressure: p.diskPressure } : {}),
    },
  } as ImagePolicy;
}

/** What the model tracks of one image, as the agent could know it. */
interface Seen {
  /** the agent tracks it (it was listed by a pass and not found gone since) */
  tracked: boolean;
  /** first sight by the agent since it last found it gone */
  sightAt: number;
  /** the moment the agent can know it was last used; null while it is in use */
  known: number | null;
}

export class Judge {
  readonly policies = new Map<string, ModelPolicy>();
  workloadRef: string | null = null;
  /** contents whose latest arrival the agent made (a pull or load of an image that was absent) */
  readonly agentDownloaded = new Set<number>();
  readonly seen = new Map<number, Seen>();

  constructor(private readonly world: World) {
    world.onAgentRemove = (content) => {
      const s = this.seen.get(content);
      if (s) s.tracked = false;
    };
  }

  refsOf(content: number): string[] {
    const img = this.world.images.get(content);
    return img ? [...img.tags, ...img.repoDigests] : [];
  }

  /** The winning deleteAfter (ms), or null when no rule matches. */
  winning(content: number): number | null {
    const refs = this.refsOf(content);
    let best: number | null = null;
    for (const p of this.policies.values()) {
      for (const r of p.rules) {
        if (r.agentDownloadedOnly && !this.agentDownloaded.has(content)) continue;
        if (!modelMatches(r.pattern, refs)) continue;
        const ms = DURATIONS[r.deleteAfter]!;
        if (best === null || ms < best) best = ms;
      }
    }
    return best;
  }

  protectedBy(content: number): string | null {
    const refs = this.refsOf(content);
    for (const p of this.policies.values()) for (const k of p.keep) if (modelMatches(k, refs)) return `keep ${k}`;
    const img = this.world.images.get(content);
    if (this.workloadRef !== null && img?.tags.includes(this.workloadRef)) return `workload ${this.workloadRef}`;
    return this.winning(content) === null ? 'no rule matches' : null;
  }

  /**
   * `content` came onto the device (it was absent), brought by the agent or by someone else. An
   * arrival by someone else makes it a discovered image again only once the agent saw it gone: an
   * image deleted and brought back between two passes is, to the agent, the image it always had.
   */
  arrived(content: number, byAgent: boolean): void {
    if (byAgent) this.agentDownloaded.add(content);
    else if (!this.seen.get(content)?.tracked) this.agentDownloaded.delete(content);
  }

  /** The last moment a container referenced it, or the agent's first sight when later. */
  trueLastUse(content: number): number {
    const s = this.seen.get(content);
    return Math.max(this.world.lastContainerAt.get(content) ?? -Infinity, s?.sightAt ?? -Infinity);
  }

  /**
   * A pass at `now` listed the world: follow what the agent can know, `uses` being the container
   * events it was told about (by content), `unseenAt` the end of history it could not see.
   */
  observed(now: number, uses: ReadonlyMap<number, number>, unseenAt: number | null): void {
    for (const [content, s] of this.seen) if (s.tracked && !this.world.images.has(content)) s.tracked = false;
    for (const content of this.world.images.keys()) {
      let s = this.seen.get(content);
      if (!s || !s.tracked) {
        s = { tracked: true, sightAt: now, known: this.world.inUse(content) ? null : now };
        this.seen.set(content, s);
        continue;
      }
      for (const at of [uses.get(content), unseenAt]) if (at != null && s.known !== null && at > s.known) s.known = at;
      if (this.world.inUse(content)) s.known = null;
      else if (s.known === null) s.known = now;
    }
  }

  /** When the agent must remove it, from what it can know (null: never, as things stand). */
  dueAt(content: number): number | null {
    const s = this.seen.get(content);
    if (!s?.tracked || s.known === null || this.world.inUse(content) || this.protectedBy(content) !== null) return null;
    return s.known + this.winning(content)!;
  }

  /** The image IDs the agent must remove at `now`, and the next due moment after them. */
  expected(now: number): { remove: string[]; nextDueAt: number | null } {
    const remove: string[] = [];
    let next: number | null = null;
    for (const content of this.world.images.keys()) {
      const due = this.dueAt(content);
      if (due === null) continue;
      if (now >= due) remove.push(idOf(content));
      else if (next === null || due < next) next = due;
    }
    return { remove: remove.sort(), nextDueAt: next };
  }
}
