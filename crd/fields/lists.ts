/** The same strings in the same order (the same array, or equal element by element). */
export const sameList = (a: readonly string[], b: readonly string[]): boolean => a === b || (a.length === b.length && a.every((x, i) => x === b[i]));
