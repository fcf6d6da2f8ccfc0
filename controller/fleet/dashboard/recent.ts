/**
 * Which audit records the Activity list keeps, on the server and in the page alike: the newest
 * `max` removals and the newest `max` other records, so that a rollout's apply records (one per
 * device, a thousand at once) do not push the removals out. Pure, no imports.
 */
export function keepRecent<T extends { to: string }>(newestFirst: readonly T[], max: number): T[] {
  let removals = 0;
  let others = 0;
  return newestFirst.filter((r) => (r.to === 'removed' ? ++removals : ++others) <= max);
}
