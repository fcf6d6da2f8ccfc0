/**
 * Numbers as the dashboard shows them, on the server (disk cells) and in the page (the bundle
 * imports this file too). Pure, no imports.
 */
const UNITS = ['B', 'kB', 'MB', 'GB', 'TB', 'PB'];

/** Bytes in decimal units, as `docker images` counts them: `512 B`, `1.50 MB`, `120 GB`. */
export function humanBytes(n: number): string {
  let v = n;
  let u = 0;
  while (Math.abs(v) >= 1000 && u < UNITS.length - 1) {
    v /= 1000;
    u++;
  }
  return `${u === 0 ? String(Math.round(v)) : v.toFixed(Math.abs(v) < 10 ? 2 : Math.abs(v) < 100 ? 1 : 0)} ${UNITS[u]}`;
}

// formatters made once: toLocaleTimeString() builds one per call, which at 1000 rows is most of a frame
const TIME = new Intl.DateTimeFormat('en-GB', { hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false });
const DAY = new Intl.DateTimeFormat('en-US', { month: 'short', day: 'numeric' });

/** `2026-01-02T03:04:05Z` as local `03:04:05`, or `Jan 2, 03:04` when it is not today. */
export function clockTime(iso: string, now = new Date()): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  const time = TIME.format(d);
  const today = d.getFullYear() === now.getFullYear() && d.getMonth() === now.getMonth() && d.getDate() === now.getDate();
  return today ? time : `${DAY.format(d)}, ${time.slice(0, 5)}`;
}
