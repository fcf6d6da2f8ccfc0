/**
 * Byte sizes: Kubernetes quantities (`10Gi`, `500Mi`, `8G`, `1.5Gi`, `1073741824`) read into bytes,
 * and bytes written the way the CLI prints them (`120MB`, `1.98MB`, decimal units, as `docker
 * images` does). Pure.
 */
const SUFFIX: Record<string, number> = {
  '': 1,
  Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60,
  k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18,
};
const QUANTITY = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E)?$/;

export type BytesResult = { ok: true; bytes: number } | { ok: false; error: string };

/** A quantity (string or whole number) in bytes; at least one byte. */
export function parseBytes(v: unknown): BytesResult {
  const shown = JSON.stringify(v);
  if (typeof v === 'number') {
    if (!Number.isSafeInteger(v) || v < 1) return { ok: false, error: `${shown} bytes: want a whole number of at least 1, or a quantity such as "10Gi"` };
    return { ok: true, bytes: v };
  }
  const m = typeof v === 'string' ? QUANTITY.exec(v.trim()) : null;
  if (!m) return { ok: false, error: `invalid size ${shown}: use a number of bytes or a quantity such as "10Gi", "500Mi" or "8G" (Ki, Mi, Gi, Ti are powers of 1024; k, M, G, T of 1000)` };
  const bytes = Math.round(Number(m[1]) * SUFFIX[m[2] ?? '']!);
  if (!(bytes >= 1) || !Number.isSafeInteger(bytes)) return { ok: false, error: `size ${shown} must be at least one byte and at most ${Number.MAX_SAFE_INTEGER}` };
  return { ok: true, bytes };
}

/** `0B`, `512B`, `1.98MB`, `120MB`, `10.7GB`: decimal units, three significant digits. */
export function formatBytes(n: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB', 'PB'];
  let i = 0;
  let v = n;
  while (Math.abs(v) >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  const digits = i === 0 ? String(Math.round(v)) : Math.abs(v) < 10 ? v.toFixed(2) : Math.abs(v) < 100 ? v.toFixed(1) : v.toFixed(0);
  return `${digits.replace(/\.0+$/, '')}${units[i]}`;
}
