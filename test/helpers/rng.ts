/** A seeded random generator (mulberry32), so a failing fault run can be replayed with its seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The seed: FAULT_SEED from the environment, or a fresh one. Always printed by the caller. */
export function faultSeed(): number {
  const env = process.env.FAULT_SEED;
  return env && /^\d+$/.test(env) ? Number(env) : Math.floor(Math.random() * 2 ** 31);
}
