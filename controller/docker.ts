/**
 * The engine connection and the observe executor. One kept-alive HTTP agent for all calls, so a
 * pass costs two list calls on one connection. Docker is reached through DOCKER_HOST.
 */
import http from 'node:http';
import Docker from 'dockerode';
import type { Observation } from './observation.js';

export function dockerFromHost(host: string | undefined = process.env.DOCKER_HOST): Docker {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
  if (!host || host.startsWith('unix://')) {
    const socketPath = host ? host.slice('unix://'.length) : '/var/run/docker.sock';
    return new Docker({ socketPath, agent } as Docker.DockerOptions);
  }
  const u = new URL(host.replace(/^tcp:/, 'http:'));
  return new Docker({ host: u.hostname, port: Number(u.port || 2375), protocol: 'http', agent } as Docker.DockerOptions);
}

const realTags = (tags: string[] | null | undefined) => (tags ?? []).filter((t) => t !== '<none>:<none>');
const realDigests = (d: string[] | null | undefined) => (d ?? []).filter((t) => t !== '<none>@<none>');

export async function observe(docker: Docker): Promise<Observation> {
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

/** The HTTP status of a dockerode error, or undefined. */
export function statusOf(err: unknown): number | undefined {
  return (err as { statusCode?: number })?.statusCode;
}

export function errorText(err: unknown): string {
  const e = err as { json?: { message?: string }; reason?: string; message?: string };
  return e?.json?.message ?? e?.message ?? String(err);
}
