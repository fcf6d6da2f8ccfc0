/** What a server dry run says a set would do to one Workload. */
export interface WorkloadPreview {
  workload: string;
  /** what would happen to its container */
  container: 'create' | 'recreate' | 'restart' | 'start' | 'purge' | 'remove' | 'none';
  /** what would happen to its image */
  image: 'pull' | 'resolve' | 'load' | 'none' | 'missing';
  reason: string;
}
