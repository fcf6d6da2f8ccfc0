/** The parts of the engine's answers (API v1.41) that the agent reads, and the container it creates. */
export interface ImageSummary {
  Id: string;
  ParentId?: string;
  RepoTags: string[] | null;
  RepoDigests: string[] | null;
  Created: number;
  Size: number;
  Labels: Record<string, string> | null;
  Containers?: number;
}

export interface ContainerSummary {
  Id: string;
  Names?: string[];
  Image: string;
  ImageID: string;
  State: string;
  Status?: string;
  Created?: number;
  Labels: Record<string, string> | null;
}

export interface ImageInspect {
  Id: string;
  RepoTags: string[] | null;
  RepoDigests: string[] | null;
  Created?: string;
  Size?: number;
  Config?: { Labels?: Record<string, string> | null; Cmd?: string[] | null } | null;
  /** the layers' uncompressed digests (diff IDs), base first */
  RootFS?: { Type?: string; Layers?: string[] | null } | null;
}

/** The parts of GET /info the agent reads. */
export interface EngineInfo {
  /** the engine's data root, on the engine's host, e.g. /var/lib/docker */
  DockerRootDir?: string;
  /** the kernel's name for the CPU, e.g. x86_64, aarch64 */
  Architecture?: string;
  OSType?: string;
  /** which registries the engine talks to over plain HTTP */
  RegistryConfig?: { InsecureRegistryCIDRs?: string[] | null; IndexConfigs?: Record<string, { Name?: string; Secure?: boolean }> | null } | null;
}

/** The parts of GET /system/df the agent reads: image bytes, shared layers counted once. */
export interface SystemDf {
  /** bytes of every image layer, each layer once */
  LayersSize?: number;
  /** Size: the image with its parent layers; SharedSize: the part other images share (-1: not computed) */
  Images?: { Id: string; ParentId?: string; Size: number; SharedSize: number; Containers?: number }[] | null;
}

/** One item of DELETE /images/{name}'s answer. */
export interface ImageDeleteItem {
  Untagged?: string;
  Deleted?: string;
}

export interface DistributionInspect {
  Descriptor: { mediaType?: string; digest: string; size?: number };
  Platforms?: { architecture?: string; os?: string }[];
}

export interface ContainerCreateOptions {
  name?: string;
  Image: string;
  Cmd?: string[];
  Env?: string[];
  Labels?: Record<string, string>;
  HostConfig?: {
    NetworkMode?: string;
    RestartPolicy?: { Name: string; MaximumRetryCount?: number };
    Binds?: string[];
    Init?: boolean;
  };
}

export interface ContainerInspect {
  Id: string;
  Name: string;
  Image: string;
  State?: { Status?: string; Running?: boolean };
  Mounts?: { Type: string; Name?: string; Source?: string; Destination: string }[];
}
