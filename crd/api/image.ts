/** An image as the API lists it (`get images -o json` items). */
export interface ImageItem {
  apiVersion: string;
  kind: 'Image';
  metadata: { name: string };
  status: {
    state: string;
    tags: string[];
    repoDigests: string[];
    lastUsedAt: string | null;
    agentDownloaded: boolean;
    downloadedAt: string | null;
    rule: string | null;
    removeAt: string | null;
    protectedBy: string | null;
    usedBy: string[];
    sizeBytes: number;
    firstSeenAt: string;
    removedAt: string | null;
    reason: string;
    lastError: string | null;
  };
}
