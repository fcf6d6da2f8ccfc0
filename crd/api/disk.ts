/**
 * The disk budgets as the API shows them: `plan -o json`'s `disk` (null without a budget) and
 * `describe image`'s place in the eviction order. The percent form reports `path` and
 * `usedPercent` against the thresholds, the byte form `imageBytes` against `maxImageBytes` and
 * `targetImageBytes`; with several budgets, the top-level figures are those of the budget that acts
 * first, and `budgets` lists each one.
 */
export interface DiskBudgetView {
  policy: string;
  form: 'percent' | 'bytes';
  highThresholdPercent?: number;
  lowThresholdPercent?: number;
  maxImageBytes?: number;
  targetImageBytes?: number;
  minAge: string;
  /** exceeded now; null when it could not be measured */
  exceeded: boolean | null;
}

export interface DiskView {
  /** the filesystem of the engine's data root (percent form) */
  path?: string | null;
  usedPercent?: number | null;
  highThresholdPercent?: number;
  lowThresholdPercent?: number;
  /** the engine's image bytes, shared layers once (byte form) */
  imageBytes?: number | null;
  maxImageBytes?: number;
  targetImageBytes?: number;
  underPressure: boolean;
  /** image IDs, in the order pressure would remove them now */
  wouldRemove: string[];
  /** why something could not be measured, or null */
  error: string | null;
  /** null: not measured yet */
  measuredAt: string | null;
  budgets: DiskBudgetView[];
}

/** Where one image stands in the eviction order for disk space. */
export interface EvictionView {
  /** 1-based place among the candidates, or null when it is none */
  position: number | null;
  candidates: number;
  /** why it is not a candidate, or null */
  reason: string | null;
  /** pressure would remove it now */
  wouldRemoveNow: boolean;
}
