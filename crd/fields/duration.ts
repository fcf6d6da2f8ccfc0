/** Durations: `90s`, `30m`, `2h`, `1d`, `1h30m`, `500ms`. Pure. */
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const PART = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/y;
/** Ten years: anything longer is a typo, not a policy. */
export const MAX_DURATION_MS = 10 * 365 * 86_400_000;

export type DurationResult = { ok: true; ms: number } | { ok: false; error: string };

export function parseDuration(s: unknown): DurationResult {
  if (typeof s !== 'string') return { ok: false, error: `duration must be a string such as "30m", got ${JSON.stringify(s)}` };
  const t = s.trim();
  if (t === '') return { ok: false, error: 'empty duration' };
  let ms = 0;
  PART.lastIndex = 0;
  let pos = 0;
  while (pos < t.length) {
    PART.lastIndex = pos;
    const m = PART.exec(t);
    if (!m) {
      return { ok: false, error: `invalid duration ${JSON.stringify(s)}: use a number and a unit (ms, s, m, h, d), e.g. "90s", "30m", "1h30m"` };
    }
    ms += Number(m[1]) * UNIT_MS[m[2]!]!;
    pos = PART.lastIndex;
  }
  return checkRange(ms, JSON.stringify(s));
}

export function checkRange(ms: number, shown: string): DurationResult {
  if (!Number.isFinite(ms) || ms <= 0) return { ok: false, error: `duration ${shown} must be greater than zero` };
  if (ms > MAX_DURATION_MS) return { ok: false, error: `duration ${shown} is longer than 10 years` };
  return { ok: true, ms: Math.round(ms) };
}

/** Go's time.Duration format: `3s`, `30m0s`, `1h0m0s`, `1.5s`, `250ms`. */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0s';
  const neg = ms < 0;
  let rest = Math.abs(Math.round(ms));
  if (rest < 1000) return `${neg ? '-' : ''}${rest}ms`;
  const h = Math.floor(rest / 3_600_000);
  rest -= h * 3_600_000;
  const m = Math.floor(rest / 60_000);
  rest -= m * 60_000;
  const s = rest / 1000;
  const sec = Number.isInteger(s) ? `${s}s` : `${s.toFixed(3).replace(/0+$/, '')}s`;
  let out = '';
  if (h > 0) out += `${h}h`;
  if (h > 0 || m > 0) out += `${m}m`;
  out += sec;
  return (neg ? '-' : '') + out;
}
