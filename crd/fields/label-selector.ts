/**
 * kubectl's label selectors (`-l`): `k=v`, `k==v`, `k!=v`, `k in (a,b)`, `k notin (a,b)`, `k`, `!k`,
 * `k>1`, `k<1`, joined by commas, all of which must hold. Pure.
 */

export type Requirement =
  | { key: string; op: 'exists' | 'notexists' }
  | { key: string; op: 'in' | 'notin'; values: string[] }
  | { key: string; op: 'gt' | 'lt'; value: number };

export type SelectorResult = { ok: true; requirements: Requirement[] } | { ok: false; error: string };

const KEY = /^([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?(\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

/** Split on commas outside parentheses. */
function terms(s: string): string[] | null {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (const c of s) {
    if (c === '(') depth++;
    if (c === ')' && --depth < 0) return null;
    if (c === ',' && depth === 0) {
      out.push(cur);
      cur = '';
    } else cur += c;
  }
  if (depth !== 0) return null;
  out.push(cur);
  return out;
}

function checkKey(key: string): string | null {
  return KEY.test(key) && key.length <= 317 ? null : `invalid label key ${JSON.stringify(key)}`;
}

function checkValue(v: string): string | null {
  return VALUE.test(v) && v.length <= 63 ? null : `invalid label value ${JSON.stringify(v)}`;
}

function parseTerm(raw: string): Requirement | string {
  const t = raw.trim();
  if (t === '') return 'empty requirement';
  let m = /^!\s*(\S+)$/.exec(t);
  if (m) return checkKey(m[1]!) ?? { key: m[1]!, op: 'notexists' };
  m = /^(\S+?)\s+(in|notin)\s*\((.*)\)$/.exec(t);
  if (m) {
    const values = m[3]!.split(',').map((v) => v.trim());
    if (values.length === 1 && values[0] === '') return `${m[2]} needs at least one value: ${t}`;
    const bad = checkKey(m[1]!) ?? values.map(checkValue).find((p) => p);
    return bad ?? { key: m[1]!, op: m[2] as 'in' | 'notin', values };
  }
  m = /^([^=!<>\s]+)\s*(==|=|!=)\s*(\S*)$/.exec(t);
  if (m) {
    const bad = checkKey(m[1]!) ?? checkValue(m[3]!);
    if (bad) return bad;
    return { key: m[1]!, op: m[2] === '!=' ? 'notin' : 'in', values: [m[3]!] };
  }
  m = /^([^=!<>\s]+)\s*([<>])\s*(-?\d+)$/.exec(t);
  if (m) return checkKey(m[1]!) ?? { key: m[1]!, op: m[2] === '>' ? 'gt' : 'lt', value: Number(m[3]) };
  if (/^\S+$/.test(t) && !/[=!<>()]/.test(t)) return checkKey(t) ?? { key: t, op: 'exists' };
  return `cannot parse requirement ${JSON.stringify(t)}`;
}

export function parseSelector(s: string): SelectorResult {
  const parts = terms(s);
  if (!parts) return { ok: false, error: `unable to parse requirement: unbalanced parentheses in ${JSON.stringify(s)}` };
  const requirements: Requirement[] = [];
  for (const p of parts) {
    const r = parseTerm(p);
    if (typeof r === 'string') return { ok: false, error: `unable to parse requirement: ${r}` };
    requirements.push(r);
  }
  return { ok: true, requirements };
}

export function matchesSelector(reqs: readonly Requirement[], labels: Readonly<Record<string, string>> | undefined): boolean {
  const l = labels ?? {};
  return reqs.every((r) => {
    const has = Object.hasOwn(l, r.key);
    const v = l[r.key];
    switch (r.op) {
      case 'exists': return has;
      case 'notexists': return !has;
      case 'in': return has && r.values.includes(v!);
      case 'notin': return !has || !r.values.includes(v!);
      case 'gt': return has && /^-?\d+$/.test(v!) && Number(v) > r.value;
      case 'lt': return has && /^-?\d+$/.test(v!) && Number(v) < r.value;
    }
  });
}
