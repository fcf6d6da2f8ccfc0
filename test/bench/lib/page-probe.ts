/**
 * What the dashboard bench watches inside the page, installed with page.evaluate: a
 * MutationObserver on the Devices table that notes, per device, when (Date.now(), the same clock
 * as the hub's timestamps on this machine) a row showed a revision and a last-seen time, and the
 * long tasks (> 50 ms of main thread) the page ran. Nothing of this is in the product's page.
 */
import type { Page } from 'playwright-core';

export interface ProbeData {
  /** node → when its row first showed the target revision */
  revision: Record<string, number>;
  /** [node, lastSeen ISO as shown, when] */
  seen: [string, string, number][];
  longTasks: number[];
}

/** Start watching; `target` is set later with setTarget(). */
export async function installProbe(page: Page): Promise<void> {
  await page.evaluate(() => {
    const probe = { target: '', revision: {} as Record<string, number>, seen: [] as [string, string, number][], longTasks: [] as number[] };
    (window as unknown as { __probe: typeof probe }).__probe = probe;
    const tbody = document.querySelector('#devices-table tbody')!;
    new MutationObserver((records) => {
      const now = Date.now();
      const rows = new Set<HTMLTableRowElement>();
      for (const r of records) {
        const e = r.target.nodeType === 1 ? (r.target as Element) : r.target.parentElement;
        const tr = e?.closest('tr[data-node]') as HTMLTableRowElement | null;
        if (tr) rows.add(tr);
      }
      for (const tr of rows) {
        const node = tr.dataset.node!;
        // cells: the name (th), labels, ready, last seen, revision, ...
        if (probe.target && tr.cells[4]?.textContent === probe.target && !(node in probe.revision)) probe.revision[node] = now;
        const seen = tr.cells[3]?.querySelector('time')?.getAttribute('datetime');
        if (seen) probe.seen.push([node, seen, now]);
      }
    }).observe(tbody, { subtree: true, childList: true, characterData: true });
    new PerformanceObserver((l) => {
      for (const e of l.getEntries()) probe.longTasks.push(e.duration);
    }).observe({ type: 'longtask' });
  });
}

export async function setTarget(page: Page, revision: number): Promise<void> {
  await page.evaluate((t) => {
    (window as unknown as { __probe: { target: string } }).__probe.target = t;
  }, String(revision));
}

export async function readProbe(page: Page): Promise<ProbeData> {
  return page.evaluate(() => {
    const p = (window as unknown as { __probe: ProbeData & { target: string } }).__probe;
    return { revision: p.revision, seen: p.seen, longTasks: p.longTasks };
  });
}

export interface Load {
  /** the whole picture read from the page (the `dashboard:snapshot` mark), ms since navigation start */
  snapshot: number;
  /** the rollout, the table's first screenful and the activity painted (`dashboard:devices`) */
  firstPaint: number;
  /** every device's row in the table and painted (`dashboard:all-devices`) */
  allRows: number;
  rows: number;
}

/** A fresh load of the page, timed by its own performance marks. */
export async function timedLoad(page: Page, url: string, timeoutMs: number): Promise<Load> {
  await page.goto(url, { waitUntil: 'commit' });
  await page.waitForFunction(() => performance.getEntriesByName('dashboard:all-devices').length > 0, undefined, { timeout: timeoutMs });
  // no named functions inside: tsx would wrap them in a helper the page does not have
  const [snapshot, firstPaint, allRows] = await page.evaluate(() => ['dashboard:snapshot', 'dashboard:devices', 'dashboard:all-devices'].map((n) => performance.getEntriesByName(n)[0]!.startTime));
  return { snapshot: snapshot!, firstPaint: firstPaint!, allRows: allRows!, rows: await page.locator('#devices-table tbody tr').count() };
}
