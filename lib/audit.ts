/** One audit record: a transition of one image's machine. Shape of `imagectl audit -o json`. */
export interface AuditRecord {
  /** ISO-8601 */
  time: string;
  /** image ID */
  image: string;
  tags: string[];
  from: string | null;
  to: string;
  event: string;
  reason: string;
  /** `agent`, `uid:0`, `token`, … */
  actor: string;
}
