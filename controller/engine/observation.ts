/** What one pass saw in the engine. Plain data, produced by the observe executor. */
export interface ObservedImage {
  /** image ID, `sha256:…` */
  id: string;
  tags: string[];
  repoDigests: string[];
  sizeBytes: number;
  /** seconds since the epoch, from the engine */
  created: number;
  labels: Record<string, string>;
  /** the image it was committed or built on (`docker commit`, the classic builder), when the engine knows one */
  parentId?: string;
}

export interface ObservedContainer {
  id: string;
  name: string;
  imageId: string;
  /** the reference the container was created with */
  image: string;
  state: string;
  labels: Record<string, string>;
}

export interface Observation {
  images: ObservedImage[];
  containers: ObservedContainer[];
}

/** image ID → names of the containers that reference it (running, stopped or created; anyone's). */
export function usersByImage(containers: readonly ObservedContainer[]): Map<string, string[]> {
  const m = new Map<string, string[]>();
  for (const c of containers) {
    const list = m.get(c.imageId);
    if (list) list.push(c.name);
    else m.set(c.imageId, [c.name]);
  }
  return m;
}
