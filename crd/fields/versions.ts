/**
 * Open Horizon versions and version ranges, as anax's `semanticversion` package reads them. Pure.
 *
 * A version is one to three dot-separated numbers, optionally followed by `-prerelease`
 * (`1`, `1.2`, `1.2.3`, `1.2.3-beta.1`); `INFINITY` is the top. A range is `[a,b)`, `(a,b]` and so
 * on, or a single version `a`, which means `[a,INFINITY)`. White space is not allowed in a range.
 */

export const INFINITY = 'INFINITY';

/** A version as `in` and version ranges take it (leading zeros and a prerelease allowed). */
export function isVersionString(s: string): boolean {
  if (s === '') return false;
  if (s === INFINITY) return true;
  const [core, ...pre] = s.split('-');
  const nums = core!.split('.');
  if (nums.length > 3 || nums.some((n) => !/^\d+$/.test(n))) return false;
  return /^[0-9a-z.-]*$/i.test(pre.join('-'));
}

/**
 * A version as a `version` property value must be written (anax's externalpolicy): one to three
 * numbers without leading zeros, no prerelease; or `INFINITY`.
 */
export function isPropertyVersion(s: string): boolean {
  if (s === INFINITY) return true;
  const nums = s.split('.');
  return nums.length <= 3 && nums.every((n) => /^(0|[1-9]\d*)$/.test(n));
}

/** `1` → `1.0.0`, `1.2-rc` → `1.2.0-rc`. */
function normalize(v: string): string {
  if (v === INFINITY) return v;
  const [core, ...pre] = v.split('-');
  const nums = core!.split('.');
  const padded = core + '.0'.repeat(Math.max(0, 3 - nums.length));
  return pre.length && pre.join('-') !== '' ? `${padded}-${pre.join('-')}` : padded;
}

const INT64_MAX = 2n ** 63n - 1n;
/** Go's strconv.Atoi: null when the text is not a decimal integer, clamped when it overflows. */
function atoi(s: string): bigint | null {
  if (!/^[+-]?\d+$/.test(s)) return null;
  const n = BigInt(s);
  return n > INT64_MAX ? INT64_MAX : n < -INT64_MAX - 1n ? -INT64_MAX - 1n : n;
}
const overflows = (s: string) => atoi(s) !== null && BigInt(s) !== atoi(s);

/** Semantic Versioning's precedence of prerelease identifiers; '' (a release) is highest. */
function comparePrereleases(a: string, b: string): number {
  if (a === b) return 0;
  if (a === '') return 1;
  if (b === '') return -1;
  const as = a.split('.');
  const bs = b.split('.');
  for (let i = 0; i < as.length; i++) {
    if (bs.length < i + 1) return 1;
    if (as[i] === bs[i]) continue;
    const na = overflows(as[i]!) ? null : atoi(as[i]!);
    const nb = overflows(bs[i]!) ? null : atoi(bs[i]!);
    if (na !== null && nb !== null) {
      if (na !== nb) return na < nb ? -1 : 1;
    } else if (na !== null) return -1;
    else if (nb !== null) return 1;
    else if (as[i] !== bs[i]) return as[i]! < bs[i]! ? -1 : 1;
  }
  return as.length < bs.length ? -1 : 0;
}

/** -1, 0 or 1; null when either is not a version. */
export function compareVersions(a: string, b: string): number | null {
  if (!isVersionString(a) || !isVersionString(b)) return null;
  if (a === b) return 0;
  if (a === INFINITY) return 1;
  if (b === INFINITY) return -1;
  const [ca, ...pa] = normalize(a).split('-');
  const [cb, ...pb] = normalize(b).split('-');
  const xs = ca!.split('.');
  const ys = cb!.split('.');
  for (let i = 0; i < 3; i++) {
    if (xs[i] === ys[i]) continue;
    const x = atoi(xs[i]!) ?? 0n;
    const y = atoi(ys[i]!) ?? 0n;
    if (x !== y) return x < y ? -1 : 1;
  }
  return comparePrereleases(pa.join('-'), pb.join('-'));
}

export interface VersionRange {
  start: string;
  startInclusive: boolean;
  end: string;
  endInclusive: boolean;
}

export type RangeResult = { ok: true; range: VersionRange } | { ok: false; error: string };

/** A version range such as `[1.0.0,2.0.0)`, or a single version meaning `[v,INFINITY)`. */
export function parseVersionRange(text: string): RangeResult {
  const bad = (error: string): RangeResult => ({ ok: false, error });
  if (text === '') return bad('an empty string is not a version');
  if (text.includes(' ')) return bad(`white space is not allowed in the version range ${text}`);
  let s = text;
  const single = !'(['.includes(s[0]!) && !s.includes(',') && !')]'.includes(s.at(-1)!);
  if (single) {
    if (!isVersionString(s)) return bad(`${s} is not a version`);
    s = `[${s},${INFINITY})`;
  }
  if (!'(['.includes(s[0]!)) return bad(`${text} does not begin with [ or (`);
  if (!')]'.includes(s.at(-1)!)) return bad(`${text} does not end with ] or )`);
  const parts = s.slice(1, -1).split(',');
  if (parts.length !== 2 || parts[0] === '' || parts[1] === '') return bad(`${text} does not hold exactly two versions`);
  for (const p of parts) if (!isVersionString(p)) return bad(`${p} in ${text} is not a version`);
  return { ok: true, range: { start: normalize(parts[0]!), startInclusive: s[0] === '[', end: normalize(parts[1]!), endInclusive: s.at(-1) === ']' } };
}

/** `[a,b)` or `(a,b]` and so on, with two versions: what makes a constraint value a range. */
export function isVersionExpression(s: string): boolean {
  if (s === '') return false;
  if (!'(['.includes(s[0]!) && !')]'.includes(s.at(-1)!)) return false;
  const parts = s.split(',');
  if (parts.length !== 2 || parts[0] === '' || parts[1] === '') return false;
  return isVersionString(parts[0]!.slice(1)) && isVersionString(parts[1]!.slice(0, -1));
}

/** Is the version inside the range? False for a string that is not a version. */
export function inRange(r: VersionRange, version: string): boolean {
  if (!isVersionString(version)) return false;
  const v = normalize(version);
  if ((v === r.start && r.startInclusive) || (v === r.end && r.endInclusive)) return true;
  if (v === r.start || v === r.end) return false;
  if ((compareVersions(r.start, v) ?? 1) > 0) return false;
  if (r.end === INFINITY) return true;
  return (compareVersions(r.end, v) ?? -1) >= 0;
}
