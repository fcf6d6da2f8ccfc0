/**
 * HollowEngine: an in-memory STAND-IN for the Docker engine, for the fleet benchmarks' hollow
 * agents (kubemark's hollow nodes): a thousand agents cannot each have a dockerd on one machine.
 * It answers the calls the agent makes (list images and containers, inspect, tag, remove, the
 * event stream, /info) from a map held here; it pulls, loads and runs nothing. Everything above
 * it is the real agent: its reconciler, its store, its apply path and its fleet client.
 */
import { PassThrough } from 'node:stream';
import type { IncomingMessage } from 'node:http';
import { EngineClient, type ContainerSummary, type ImageDeleteItem, type ImageInspect, type ImageSummary } from '../../../controller/engine/client.js';

interface HollowImage {
  id: string;
  tags: string[];
  digests: string[];
  size: number;
  created: number;
}

function notFound(what: string): Error {
  return Object.assign(new Error(`(HTTP code 404) No such image: ${what}`), { statusCode: 404, json: { message: `No such image: ${what}` } });
}

export class HollowEngine extends EngineClient {
  readonly images = new Map<string, HollowImage>();
  readonly containers: ContainerSummary[] = [];
  private readonly streams = new Set<PassThrough>();
  /** calls answered, by name (what a pass costs) */
  readonly calls = new Map<string, number>();

  constructor(readonly label: string) {
    // a dockerode that is never used: every call the agent makes is answered below
    super({ address: `hollow:${label}`, transport: 'unix', options: { socketPath: `/nonexistent/hollow-engine-${label}.sock` } });
  }

  /** `count` images `<repo>/img<i>:1`, each with its own ID. */
  static withImages(label: string, count: number, repo = 'registry.hollow/app'): HollowEngine {
    const e = new HollowEngine(label);
    for (let i = 0; i < count; i++) {
      const id = `sha256:${Buffer.from(`${label}/${i}`).toString('hex').padEnd(64, '0').slice(0, 64)}`;
      e.images.set(id, { id, tags: [`${repo}/img${i}:1`], digests: [], size: 1_000_000 + i, created: 1_700_000_000 + i });
    }
    return e;
  }

  private count(name: string): void {
    this.calls.set(name, (this.calls.get(name) ?? 0) + 1);
  }

  private find(ref: string): HollowImage | undefined {
    return this.images.get(ref) ?? [...this.images.values()].find((i) => i.tags.includes(ref) || i.id.replace(/^sha256:/, '').startsWith(ref));
  }

  override async ping(): Promise<string> {
    return 'OK';
  }

  override async listImages(): Promise<ImageSummary[]> {
    this.count('listImages');
    return [...this.images.values()].map((i) => ({ Id: i.id, RepoTags: i.tags, RepoDigests: i.digests, Created: i.created, Size: i.size, Labels: null }));
  }

  override async listContainers(): Promise<ContainerSummary[]> {
    this.count('listContainers');
    return this.containers;
  }

  override async inspectImage(ref: string): Promise<ImageInspect> {
    const i = this.find(ref);
    if (!i) throw notFound(ref);
    return { Id: i.id, RepoTags: i.tags, RepoDigests: i.digests, Size: i.size };
  }

  override async tagImage(ref: string, to: { repo: string; tag: string }): Promise<void> {
    const i = this.find(ref);
    if (!i) throw notFound(ref);
    i.tags.push(`${to.repo}:${to.tag}`);
  }

  override async removeImage(ref: string): Promise<ImageDeleteItem[]> {
    this.count('removeImage');
    const i = this.find(ref);
    if (!i) throw notFound(ref);
    if (i.tags.includes(ref) && i.tags.length > 1) {
      i.tags = i.tags.filter((t) => t !== ref);
      return [{ Untagged: ref }];
    }
    this.images.delete(i.id);
    return [...i.tags.map((t) => ({ Untagged: t })), { Deleted: i.id }];
  }

  override async info(): Promise<{ DockerRootDir?: string }> {
    return {}; // no data root to measure
  }

  /** An event stream that stays open and quiet (nothing happens in a hollow engine by itself). */
  override async getEvents(): Promise<IncomingMessage> {
    const s = new PassThrough();
    this.streams.add(s);
    s.once('close', () => this.streams.delete(s));
    return s as unknown as IncomingMessage;
  }

  override close(): void {
    for (const s of this.streams) s.destroy();
  }
}
