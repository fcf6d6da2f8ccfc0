/**
 * The device as the model sees it: the engine's images and containers, the registry, the engine's
 * event log (the container events that are uses of an image), and the clock. Plain data with the
 * engine's rules: a reference names one image at a time (a pull, load or tag moves it), a removal
 * without force is refused while a container references the image, and an image goes when its last
 * reference is removed. Nothing here knows about the agent.
 */
import type { Observation } from '../../controller/engine/observation.js';
import { idOf, INITIAL_REGISTRY, manifestOf, sizeOf } from './catalog.js';

export interface WorldImage {
  content: number;
  tags: string[];
  repoDigests: string[];
}

export interface WorldContainer {
  name: string;
  content: number;
  running: boolean;
}

/** A container event: a use of its image at `at`. */
export interface UseEvent {
  at: number;
  content: number;
  container: string;
}

export class World {
  now = 1_000_000;
  readonly images = new Map<number, WorldImage>();
  readonly containers: WorldContainer[] = [];
  readonly registry: Record<string, number> = { ...INITIAL_REGISTRY };
  /** the engine's container events, oldest first (an index into it is the agent's cursor) */
  readonly events: UseEvent[] = [];
  /** how many times the engine restarted (its event history before then is gone) */
  engineRestarts = 0;
  private nextContainer = 0;
  /** the last moment a container referenced each content (its last container event) */
  readonly lastContainerAt = new Map<number, number>();
  /** told of every image the agent's removal deleted (the agent knows it is gone) */
  onAgentRemove: (content: number) => void = () => undefined;

  /** An exact copy (for the uninterrupted twin, forked at the first crash). */
  clone(): World {
    const w = new World();
    w.now = this.now;
    for (const [k, i] of this.images) w.images.set(k, { content: i.content, tags: [...i.tags], repoDigests: [...i.repoDigests] });
    w.containers.push(...this.containers.map((c) => ({ ...c })));
    Object.assign(w.registry, this.registry);
    w.events.push(...this.events);
    w.engineRestarts = this.engineRestarts;
    w.nextContainer = this.nextContainer;
    for (const [k, v] of this.lastContainerAt) w.lastContainerAt.set(k, v);
    return w;
  }

  inUse(content: number): boolean {
    return this.containers.some((c) => c.content === content);
  }

  /** What a pass lists: images and containers, in the engine's fixed order. */
  observe(): Observation {
    const images = [...this.images.values()].sort((a, b) => a.content - b.content).map((i) => ({
      id: idOf(i.content), tags: [...i.tags].sort(), repoDigests: [...i.repoDigests].sort(), sizeBytes: sizeOf(i.content), created: 0, labels: {},
    }));
    const containers = this.containers.map((c) => ({ id: `c-${c.name}`, name: c.name, imageId: idOf(c.content), image: idOf(c.content), state: c.running ? 'running' : 'created', labels: {} }));
    return { images, containers };
  }

  private use(content: number, container: string): void {
    this.events.push({ at: this.now, content, container });
    this.lastContainerAt.set(content, this.now);
  }

  /** `docker create` (and `start`): null when the image is not there (never a pull). */
  createContainer(content: number, running: boolean): WorldContainer | null {
    if (!this.images.has(content)) return null;
    const c = { name: `k${this.nextContainer++}`, content, running };
    this.containers.push(c);
    this.use(content, c.name);
    if (running) this.use(content, c.name);
    return c;
  }

  removeContainer(c: WorldContainer): void {
    const i = this.containers.indexOf(c);
    if (i < 0) return;
    this.containers.splice(i, 1);
    if (c.running) this.use(c.content, c.name); // die
    this.use(c.content, c.name); // destroy
  }

  /** The engine restarts: running containers die (a use), every container stays, the event history is gone. */
  restartEngine(): void {
    for (const c of this.containers) {
      if (c.running) this.use(c.content, c.name);
      c.running = false;
    }
    this.engineRestarts++;
  }

  /** Point `ref` at `content` (a pull, load or tag); the image it named before loses it. */
  private point(ref: string, content: number): void {
    for (const img of this.images.values()) if (img.content !== content) img.tags = img.tags.filter((t) => t !== ref);
    const img = this.images.get(content) ?? { content, tags: [], repoDigests: [] };
    if (!img.tags.includes(ref)) img.tags.push(ref);
    this.images.set(content, img);
  }

  /** A pull of `ref` from the registry: the content it serves now, and whether that image was absent before. */
  pull(ref: string): { content: number; wasAbsent: boolean } {
    const content = this.registry[ref]!;
    const wasAbsent = !this.images.has(content);
    this.point(ref, content);
    const repo = ref.slice(0, ref.lastIndexOf(':'));
    const digest = `${repo}@${manifestOf(content)}`;
    const img = this.images.get(content)!;
    if (!img.repoDigests.includes(digest)) img.repoDigests.push(digest);
    return { content, wasAbsent };
  }

  /** `docker load` of an archive holding `content` as `ref`. */
  load(ref: string, content: number): { content: number; wasAbsent: boolean } {
    const wasAbsent = !this.images.has(content);
    this.point(ref, content);
    return { content, wasAbsent };
  }

  /** `docker tag`: only an image that is there. */
  tag(content: number, ref: string): boolean {
    if (!this.images.has(content)) return false;
    this.point(ref, content);
    return true;
  }

  /** `docker rmi REF` by someone: untag, or delete when it is the last reference and no container uses it. */
  rmiRef(ref: string): 'untagged' | 'deleted' | 'refused' | 'absent' {
    const img = [...this.images.values()].find((i) => i.tags.includes(ref));
    if (!img) return 'absent';
    if (img.tags.length > 1) {
      img.tags = img.tags.filter((t) => t !== ref);
      return 'untagged';
    }
    if (this.inUse(img.content)) return 'refused';
    this.images.delete(img.content);
    return 'deleted';
  }

  /** `docker rmi ID` without force: refused with several references or a container. */
  rmiId(content: number): 'deleted' | 'refused' | 'absent' {
    const img = this.images.get(content);
    if (!img) return 'absent';
    if (img.tags.length > 1 || this.inUse(content)) return 'refused';
    this.images.delete(content);
    return 'deleted';
  }

  /** The agent's safe removal: re-list the containers, untag the extra tags, delete the last one, never forced. */
  agentRemove(content: number): 'removed' | 'gone' | 'in-use' {
    if (!this.images.has(content)) return 'gone';
    if (this.inUse(content)) return 'in-use';
    this.onAgentRemove(content); // told while the image still has its references
    this.images.delete(content);
    return 'removed';
  }

  /** The careful removal's first steps (several tags): the extra tags untagged, the last one left. */
  agentUntagExtras(content: number): void {
    const img = this.images.get(content);
    if (img && !this.inUse(content)) img.tags = img.tags.slice(-1);
  }

  /** The image `ref` names now, or null. */
  holderOf(ref: string): number | null {
    for (const img of this.images.values()) if (img.tags.includes(ref)) return img.content;
    return null;
  }

  /** Someone pushed `content` as `ref`: later pulls of `ref` bring it. */
  push(ref: string, content: number): void {
    this.registry[ref] = content;
  }
}
