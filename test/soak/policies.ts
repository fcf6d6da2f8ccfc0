/**
 * The policies a soak applies, and the history of which were in force when: the oracle judges each
 * removal against every policy set that was in force in the moments before it (the agent may have
 * planned a removal just before a policy changed), and the model's glob reading (test/model/catalog.ts,
 * checked against the product) says which rule matches which reference.
 */
import { modelMatches } from '../model/catalog.js';

export interface SoakRule {
  imageName: string;
  deleteAfterMs: number;
}

/** spec.diskPressure, percent form (the soak's disk-full fault fills the data root to 100%). */
export interface SoakBudget {
  highPercent: number;
  lowPercent: number;
  minAgeMs: number;
}

export interface SoakPolicy {
  name: string;
  rules: SoakRule[];
  keep: string[];
  diskPressure?: SoakBudget;
}

export function manifestOf(p: SoakPolicy): unknown {
  return {
    apiVersion: 'imagectl.dev/v1alpha1', kind: 'ImagePolicy', metadata: { name: p.name },
    spec: {
      removal: p.rules.map((r) => ({ imageName: r.imageName, deleteAfter: `${r.deleteAfterMs / 1000}s` })),
      ...(p.keep.length ? { keep: p.keep } : {}),
      ...(p.diskPressure ? { diskPressure: { highThresholdPercent: p.diskPressure.highPercent, lowThresholdPercent: p.diskPressure.lowPercent, minAge: `${p.diskPressure.minAgeMs / 1000}s` } } : {}),
    },
  };
}

/** The policy families a schedule draws from (deleteAfter in seconds, so that removals happen all the time). */
export function policyFamilies(registry: string): ((deleteAfterMs: number) => SoakPolicy)[] {
  const base = `${registry}/soak/base:*`;
  return [
    (d) => ({ name: 'soak-registry', rules: [{ imageName: `${registry}/soak/*:*`, deleteAfterMs: d }], keep: [base] }),
    (d) => ({ name: 'soak-local', rules: [{ imageName: 'soak/*:*', deleteAfterMs: d }], keep: [] }),
    (d) => ({ name: 'soak-app', rules: [{ imageName: `${registry}/soak/app:*`, deleteAfterMs: d }, { imageName: 'soak/tmp:*', deleteAfterMs: 2 * d }], keep: [] }),
    (d) => ({ name: 'soak-all', rules: [{ imageName: '*', deleteAfterMs: 4 * d }], keep: [base, 'soak/keep:*'] }),
    // rules that never fall due in a soak: what this policy removes, it removes for space (minAge of seconds)
    (d) => ({
      name: 'soak-pressure', rules: [{ imageName: `${registry}/soak/*:*`, deleteAfterMs: 3_600_000 }, { imageName: 'soak/*:*', deleteAfterMs: 3_600_000 }],
      keep: ['soak/keep:*'], diskPressure: { highPercent: 90, lowPercent: 85, minAgeMs: d },
    }),
  ];
}

/** The disk budgets of a policy set: the lowest high threshold starts removal, the shortest minAge applies (SPEC §8). */
export function budgetOf(set: ReadonlyMap<string, SoakPolicy>): { highPercent: number; minAgeMs: number } | null {
  const bs = [...set.values()].flatMap((p) => (p.diskPressure ? [p.diskPressure] : []));
  return bs.length ? { highPercent: Math.min(...bs.map((b) => b.highPercent)), minAgeMs: Math.min(...bs.map((b) => b.minAgeMs)) } : null;
}

/** What a policy set says of an image with these references. */
export interface Verdict {
  /** the winning deleteAfter, or null when no rule matches */
  deleteAfterMs: number | null;
  kept: boolean;
}

export function verdictOf(set: ReadonlyMap<string, SoakPolicy>, refs: readonly string[]): Verdict {
  let best: number | null = null;
  let kept = false;
  for (const p of set.values()) {
    for (const r of p.rules) if (modelMatches(r.imageName, refs) && (best === null || r.deleteAfterMs < best)) best = r.deleteAfterMs;
    if (p.keep.some((k) => modelMatches(k, refs))) kept = true;
  }
  return { deleteAfterMs: best, kept };
}

export class PolicyHistory {
  private readonly sets: { at: number; set: Map<string, SoakPolicy> }[] = [{ at: 0, set: new Map() }];

  current(): ReadonlyMap<string, SoakPolicy> {
    return this.sets.at(-1)!.set;
  }

  /** In force from `at` (taken before the apply request is sent: the agent may act on it at once). */
  applied(p: SoakPolicy, at: number): void {
    this.sets.push({ at, set: new Map(this.current()).set(p.name, p) });
  }

  /**
   * Out of force from `at`, taken before the delete request is sent (the agent acts on it before
   * its answer arrives); the function it returns puts the policy back (a delete that did not go through).
   */
  deleting(name: string, at: number): (at: number) => void {
    const before = this.current();
    const set = new Map(before);
    set.delete(name);
    this.sets.push({ at, set });
    return (undoAt) => this.setTo(before, undoAt);
  }

  /** Back to an earlier set (an apply that did not go through). */
  setTo(set: ReadonlyMap<string, SoakPolicy>, at: number): void {
    this.sets.push({ at, set: new Map(set) });
  }

  /**
   * What the set in force at `at` says of these references, and since when they have said it without a
   * break (a rule applied a minute ago makes an image idle for an hour due a minute ago, not an hour).
   */
  verdictAt(refs: readonly string[], at: number): { deleteAfterMs: number | null; kept: boolean; since: number } {
    let i = this.sets.length - 1;
    while (i > 0 && this.sets[i]!.at > at) i--;
    const v = verdictOf(this.sets[i]!.set, refs);
    while (i > 0) {
      const w = verdictOf(this.sets[i - 1]!.set, refs);
      if (w.kept !== v.kept || w.deleteAfterMs !== v.deleteAfterMs) break;
      i--;
    }
    return { ...v, since: this.sets[i]!.at };
  }

  /** Every set that was in force at some moment of [from, to]. */
  during(from: number, to: number): ReadonlyMap<string, SoakPolicy>[] {
    const out: ReadonlyMap<string, SoakPolicy>[] = [];
    for (let i = 0; i < this.sets.length; i++) {
      const start = this.sets[i]!.at;
      const end = this.sets[i + 1]?.at ?? Infinity;
      if (start <= to && end >= from) out.push(this.sets[i]!.set);
    }
    return out;
  }
}
