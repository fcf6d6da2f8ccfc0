/** An image as the API lists it (`get images -o json` items). */
export interface ImageItem {
  apiVersion: string;
  kind: 'Image';
  /** `labels`: the engine's labels of the image (its LABEL instructions), when it has any */
  metadata: { name: string; labels?: Record<string, string> };
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
    /** bytes no other image shares (what removing it alone frees), from the engine's /system/df; null when unknown */
    uniqueSizeBytes: number | null;
    firstSeenAt: string;
    removedAt: string | null;
    reason: string;
    lastError: string | null;
  };
}
