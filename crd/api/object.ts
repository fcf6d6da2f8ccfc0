/** An applied manifest as the agent keeps it. */
export interface StoredObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    uid: string;
    generation: number;
    creationTimestamp: string;
  };
  spec: unknown;
}
