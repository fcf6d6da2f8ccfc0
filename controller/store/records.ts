/** Records the store keeps beside the image machines. */

/** How the agent brought an image onto the device (pull, load, workload), and the files that belong to it. */
export interface DownloadRecord {
  at: number;
  /** `pull REF`, `load FILE`, `workload NAME` */
  via: string;
  /** files that belong to the image (cached archives), removed with it */
  residual?: string[];
}
