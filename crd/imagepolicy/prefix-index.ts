/** Rules (or keeps) indexed by the literal prefixes of their patterns, so an image is tested only against those that can match it. Pure. */
import type { CompiledPattern } from './compile.js';

/** Rules (or keeps) by the literal prefixes of their patterns. */
export class PrefixIndex {
  /** indices of entries that may match anything */
  private readonly always: number[] = [];
  private readonly byPrefix = new Map<string, number[]>();
  private readonly lengths: number[];

  constructor(readonly size: number, patterns: readonly CompiledPattern[]) {
    patterns.forEach((pat, i) => {
      const prefixes = pat.prefixes ?? [''];
      if (prefixes.some((p) => p === '')) {
        this.always.push(i);
        return;
      }
      for (const p of new Set(prefixes)) {
        const list = this.byPrefix.get(p);
        if (list) list.push(i);
        else this.byPrefix.set(p, [i]);
      }
    });
    this.lengths = [...new Set([...this.byPrefix.keys()].map((k) => k.length))].sort((a, b) => a - b);
  }

  /** Ascending indices of the entries that may match one of `cands`. */
  candidatesFor(cands: readonly string[]): number[] {
    if (this.byPrefix.size === 0) return this.always;
    const hits = new Set<number>(this.always);
    for (const c of cands) {
      // minimatch collapses `//` in the path: such a string may match more than its prefix says
      if (c.includes('//')) return Array.from({ length: this.size }, (_, i) => i);
      for (const len of this.lengths) {
        if (len > c.length) break;
        const list = this.byPrefix.get(c.slice(0, len));
        if (list) for (const i of list) hits.add(i);
      }
    }
    return [...hits].sort((a, b) => a - b);
  }
}
