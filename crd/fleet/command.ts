/** Requests to one device on `imagectl.cmd.<node>` (fleet pull, rmi) and its answer. Pure. */

export interface FleetCommand {
  op: 'pull' | 'rmi';
  ref: string;
}

export interface FleetCommandResult {
  node: string;
  ok: boolean;
  /** one line, as the local `imagectl pull|rmi` would say it */
  message: string;
  imageId?: string | null;
}

export function parseCommand(text: string): FleetCommand | { error: string } {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return { error: 'the request is not JSON' };
  }
  const c = v as Partial<FleetCommand> | null;
  if (!c || (c.op !== 'pull' && c.op !== 'rmi') || typeof c.ref !== 'string' || c.ref.length === 0 || c.ref.length > 1000) {
    return { error: 'the request must be {"op": "pull"|"rmi", "ref": "IMAGE"}' };
  }
  return { op: c.op, ref: c.ref };
}
