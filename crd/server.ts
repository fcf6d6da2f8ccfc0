/**
 * The agent validates what the API receives with the same schemas and checks as the CLI (a client
 * could be anything), and reports duplicates within one request.
 */
import { formatPath, validateManifest } from './validate.js';

export function validateForServer(objects: unknown[]): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  objects.forEach((o, i) => {
    for (const p of validateManifest(o)) out.push(`${formatPath([`objects[${i}]`, ...p.path]).replace(/^\["(objects\[\d+\])"\]/, '$1')}: ${p.message}`);
    const m = o as { kind?: unknown; metadata?: { name?: unknown } };
    const key = `${String(m?.kind)}/${String(m?.metadata?.name)}`;
    if (seen.has(key)) out.push(`objects[${i}]: duplicate ${key} in one request`);
    seen.add(key);
  });
  return out;
}
