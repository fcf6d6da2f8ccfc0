/**
 * The engine connection and the observe executor. The agent makes ONE client (dockerode, one
 * kept-alive connection pool) from DOCKER_HOST and keeps it for life: see host.ts for the
 * addresses (unix, tcp, tcp with TLS, ssh) and client.ts for the calls.
 */
import { EngineClient } from './client.js';
import { engineTarget, type EngineEnv } from './host.js';
import type { Observation } from './observation.js';

export { errorText, statusOf } from './errors.js';
export { EngineConfigError } from './host.js';

/** The client for `host` (default: DOCKER_HOST). Throws EngineConfigError for an address or TLS setting that cannot work. */
export function dockerFromHost(host: string | undefined = process.env.DOCKER_HOST, env: EngineEnv = process.env): EngineClient {
  return new EngineClient(engineTarget(host, env));
}

// the engine's own arrays when nothing is to be dropped (the common case): a pass makes no copies
const without = (list: string[] | null | undefined, none: string) => (!list ? [] : list.includes(none) ? list.filter((t) => t !== none) : list);
const realTags = (tags: string[] | null | undefined) => without(tags, '<none>:<none>');
const realDigests = (d: string[] | null | undefined) => without(d, '<none>@<none>');

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
      ...(i.ParentId ? { parentId: i.ParentId } : {}),
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
