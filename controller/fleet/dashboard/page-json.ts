/**
 * What the dashboard sends its page, as JSON (the embedded snapshot, the event stream, the images
 * query). Everything in it came from the devices through the hub, and any device can write any
 * status or audit record: every string, object keys included, goes out with its control characters
 * and bidi overrides made visible escapes (`\x1b`, `\u202e`, crd/api/text.ts), as the CLI prints
 * them, so a row can neither fake another line nor reorder what the operator reads.
 */
import { escapeControls, hasControls } from '../../../crd/api/text.js';

function escapedKeys(o: Record<string, unknown>): Record<string, unknown> {
  if (!Object.keys(o).some(hasControls)) return o;
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [escapeControls(k), v]));
}

export function pageJson(v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) => {
    if (typeof x === 'string') return escapeControls(x);
    if (x && typeof x === 'object' && !Array.isArray(x)) return escapedKeys(x as Record<string, unknown>);
    return x;
  });
}
