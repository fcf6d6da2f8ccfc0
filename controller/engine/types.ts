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
