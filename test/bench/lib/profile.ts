/** Summarize a V8 .cpuprofile: self time per function, and inclusive time per function. */
import { readFileSync } from 'node:fs';

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
  hitCount?: number;
}
interface Profile {
  nodes: Node[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

export interface ProfileLine {
  fn: string;
  selfMs: number;
  totalMs: number;
}

const label = (n: Node) => {
  const url = n.callFrame.url.replace(/^file:\/\//, '').replace(/.*\/(node_modules\/)/, '$1').replace(/.*\/work\/main\//, '');
  return `${n.callFrame.functionName || '(anonymous)'} ${url}:${n.callFrame.lineNumber + 1}`;
};

/** Top functions by self and by inclusive time, optionally only inside the subtree of `rootFn`. */
export function summarizeProfile(file: string, top = 15): { self: ProfileLine[]; total: ProfileLine[]; totalMs: number } {
  const p = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const selfUs = new Map<number, number>();
  p.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (p.timeDeltas[i] ?? 0)));
  const self = new Map<string, number>();
  const total = new Map<string, number>();
  for (const [id, us] of selfUs) {
    const n = byId.get(id)!;
    self.set(label(n), (self.get(label(n)) ?? 0) + us);
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const l = label(byId.get(cur)!);
      if (seen.has(l)) continue;
      seen.add(l);
      total.set(l, (total.get(l) ?? 0) + us);
    }
  }
  const list = (m: Map<string, number>) =>
    [...m].sort((a, b) => b[1] - a[1]).slice(0, top).map(([fn, us]) => ({ fn, selfMs: (self.get(fn) ?? 0) / 1000, totalMs: (total.get(fn) ?? 0) / 1000 }));
  return { self: list(self), total: list(total), totalMs: (p.endTime - p.startTime) / 1000 };
}

if (process.argv[1]?.endsWith('profile.ts') && process.argv[2]) {
  const s = summarizeProfile(process.argv[2], Number(process.argv[3] ?? 20));
  console.log(`profile ${process.argv[2]}: ${s.totalMs.toFixed(0)} ms`);
  console.log('-- self --');
  for (const l of s.self) console.log(`${l.selfMs.toFixed(1).padStart(9)} ms  ${l.fn}`);
  console.log('-- inclusive --');
  for (const l of s.total) console.log(`${l.totalMs.toFixed(1).padStart(9)} ms  ${l.fn}`);
}
