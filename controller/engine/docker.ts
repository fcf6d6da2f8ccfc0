/**
 * The engine connection and the observe executor. One kept-alive HTTP agent for all calls (see
 * engine.ts), so a pass costs two list calls on one connection. Docker is reached through
 * DOCKER_HOST: unix:///path, tcp://host:port, or /var/run/docker.sock when unset.
 */
import { EngineClient, engineAddress } from './client.js';
import type { Observation } from './observation.js';

export function dockerFromHost(host: string | undefined = process.env.DOCKER_HOST): EngineClient {
  return new EngineClient(engineAddress(host));
}

const realTags = (tags: string[] | null | undefined) => (tags ?? []).filter((t) => t !== '<none>:<none>');
const realDigests = (d: string[] | null | undefined) => (d ?? []).filter((t) => t !== '<none>@<none>');

export async function observe(docker: EngineClient): Promise<Observation> {
  const [images, containers] = await Promise.all([docker.listImages({ all: false }), docker.listContainers({ all: true })]);
  return {
    images: images.map((i) => ({
      id: i.Id,
      tags: realTags(i.RepoTags),
      repoDigests: realDigests(i.RepoDigests),
      sizeBytes: i.Size,
      created: i.Created,
      labels: i.Labels ?? {},
    })),
    containers: containers.map((c) => ({
      id: c.Id,
      name: (c.Names?.[0] ?? c.Id.slice(0, 12)).replace(/^\//, ''),
      imageId: c.ImageID,
      image: c.Image,
      state: c.State,
      labels: c.Labels ?? {},
    })),
  };
}

/** The HTTP status of an engine error (see engine.ts), or undefined (no answer: connection refused, reset). */
export function statusOf(err: unknown): number | undefined {
  return (err as { statusCode?: number })?.statusCode;
}

/** The engine's own message for an engine error, else the error's message. */
export function errorText(err: unknown): string {
  const e = err as { json?: { message?: string }; message?: string };
  return e?.json?.message ?? e?.message ?? String(err);
}
