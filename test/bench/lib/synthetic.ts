/**
 * Deterministic synthetic policies and images: 50 policies × 20 rules in the shapes operators
 * write (exact repositories with tag globs, namespace globs, version globs, exact tags, and a few
 * patterns without a literal prefix such as `** /sensor:*`), over images named the same way.
 */
import type { ImagePolicy } from '../../../crd/imagepolicy/type.js';
import type { Observation, ObservedImage } from '../../../controller/engine/observation.js';
import { seededRandom as rng } from '../../helpers/rng.js';

export interface Namespace {
  /** `registry.local/team-` or `benchb2/t` */
  prefix: string;
  teams: number;
  apps: number;
}

/** The repository of app `a` of team `t`. */
export const repoOf = (ns: Namespace, t: number, a: number) => `${ns.prefix}${t}-app-${a}`;

/**
 * Policies whose rules never fall due within a run (deleteAfter ≥ 1d), so a steady-state pass has
 * nothing to do, unless `deleteAfter` is given.
 */
export function synthPolicies(ns: Namespace, nPolicies: number, rulesPer: number, seed = 1, deleteAfter?: (i: number) => string): ImagePolicy[] {
  const r = rng(seed);
  const pick = (n: number) => Math.floor(r() * n);
  const out: ImagePolicy[] = [];
  let k = 0;
  for (let p = 0; p < nPolicies; p++) {
    const removal: { imageName: string; deleteAfter: string }[] = [];
    for (let i = 0; i < rulesPer; i++, k++) {
      const t = pick(ns.teams);
      const a = pick(ns.apps);
      const x = r();
      const imageName =
        x < 0.55 ? `${repoOf(ns, t, a)}:*`
        : x < 0.75 ? `${ns.prefix}${t}-app-${a % 10}*:*`
        : x < 0.87 ? `${repoOf(ns, t, a)}:1.*`
        : x < 0.95 ? `${repoOf(ns, t, a)}:${pick(4)}`
        : x < 0.98 ? `**/sensor-${pick(50)}:*`
        : `*/tool-${pick(50)}:{1,2}`;
      removal.push({ imageName, deleteAfter: deleteAfter ? deleteAfter(k) : `${1 + pick(30)}d` });
    }
    out.push({
      apiVersion: 'imagectl.dev/v1alpha1',
      kind: 'ImagePolicy',
      metadata: { name: `bench-${String(p).padStart(3, '0')}` },
      spec: { removal, ...(p === 0 ? { keep: [`${ns.prefix}0-app-0:*`] } : {}) },
    });
  }
  return out;
}

/** Tags for `n` images: mostly `<repo>:<version>`, some with a second tag. */
export function synthTags(ns: Namespace, n: number, seed = 2): string[][] {
  const r = rng(seed);
  const pick = (m: number) => Math.floor(r() * m);
  const out: string[][] = [];
  for (let i = 0; i < n; i++) {
    const t = pick(ns.teams);
    const a = pick(ns.apps);
    const tags = [`${repoOf(ns, t, a)}:${pick(3)}.${i}`];
    if (r() < 0.1) tags.push(`${repoOf(ns, t, a)}:latest-${i}`);
    out.push(tags);
  }
  return out;
}

const hex = (i: number, salt: number) => (i.toString(16).padStart(16, '0') + salt.toString(16).padStart(8, '0')).padEnd(64, 'a');

/** A pure observation of `n` images (one in `usedEvery` is used by a container). */
export function synthObservation(ns: Namespace, n: number, usedEvery = 5, seed = 2): Observation {
  const tags = synthTags(ns, n, seed);
  const images: ObservedImage[] = tags.map((t, i) => ({
    id: `sha256:${hex(i, seed)}`,
    tags: t,
    repoDigests: i % 3 === 0 ? [`${t[0]!.slice(0, t[0]!.lastIndexOf(':'))}@sha256:${hex(i, seed + 1)}`] : [],
    sizeBytes: 1_000_000 + i,
    created: 1_700_000_000,
    labels: {},
  }));
  const containers = images
    .filter((_, i) => i % usedEvery === 0)
    .map((img, i) => ({ id: hex(i, 99), name: `c${i}`, imageId: img.id, image: img.tags[0]!, state: 'running', labels: {} }));
  return { images, containers };
}
