/** One item of the engine's JSON progress stream (pull, load), as the API relays it. */
export interface ProgressItem {
  id?: string;
  status?: string;
  progress?: string;
  progressDetail?: { current?: number; total?: number };
  error?: string;
  errorDetail?: { message?: string };
  stream?: string;
  aux?: Record<string, unknown>;
}
