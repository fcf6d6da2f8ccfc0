/**
 * The fleet dashboard end to end, in headless Chromium (Debian's, driven by playwright-core),
 * against a real nats-server and two real agents on the stack's engine: the page lists the
 * devices; a publish moves the rollout counter to 2/2; a removal on a device appears in the
 * activity list; the images panel says who holds an image; filtering by a label shows only those
 * devices; the sort headers work from the keyboard; no console errors; a screenshot is kept in
 * test/artifacts/. On 0.0.0.0 the start is refused without a token, and with one a request
 * without it gets 401 while the bearer token and the login form get in.
 */
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildFixture, dockerFor, pushFixture } from '../stack/fixtures.js';
import { stackInfo } from '../stack/context.js';
import { freePort, startNats, type Hub } from '../stack/nats.js';
import { artifactPath, launchBrowser, type Browser } from '../stack/browser.js';
import { waitFor, type AgentProcess } from '../helpers/agent.js';
import { DashboardProcess } from '../helpers/dashboard.js';
import { converged, device, fleetCli, hubKv, policy } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'ictl-dash-'));
const set = join(dir, 'set');
/** waits for the page: generous, as everywhere in this suite (the speed figures are in the bench) */
const PAGE_WAIT = 30_000;
let hub: Hub;
let a: AgentProcess;
let b: AgentProcess;
let dash: DashboardProcess;
let browser: Browser;

function writeSet(files: Record<string, string>): void {
  rmSync(set, { recursive: true, force: true });
  mkdirSync(set);
  for (const [n, t] of Object.entries(files)) writeFileSync(join(set, n), t);
}

const publish = () => fleetCli(hub.url, ['apply', '-f', set, '--prune', '--applyset', 'plants']);
const rows = () => browser.page.locator('#devices-table tbody tr:not([hidden])');

beforeAll(async () => {
  hub = await startNats();
  writeSet({ 'all.yaml': policy('everywhere', null) });
  expect((await publish()).code).toBe(0);
  a = device(stackInfo(), hub.url, 'dev-a', { site: 'a', tier: 'edge' });
  b = device(stackInfo(), hub.url, 'dev-b', { site: 'b', tier: 'edge' });
  await Promise.all([a.start(), b.start()]);
  dash = new DashboardProcess(hub.url, ['--listen', `127.0.0.1:${await freePort()}`]);
  await dash.start();
  browser = await launchBrowser();
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await dash?.stop();
  await Promise.all([a?.dispose(), b?.dispose()]);
  await hub?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('the fleet dashboard in a browser', () => {
  it('lists the devices with their labels, readiness and revision', async () => {
    const { page } = browser;
    await page.goto(dash.url);
    await page.locator('#conn[data-state="live"]').waitFor({ timeout: PAGE_WAIT });
    await waitFor('both devices in the table', async () => (await rows().count()) === 2, PAGE_WAIT, 100);
    expect(await page.locator('#devices-table tbody th[scope="row"]').allTextContents()).toEqual(['dev-a', 'dev-b']);
    const devA = page.locator('#devices-table tr[data-node="dev-a"]');
    expect(await devA.locator('td').nth(0).textContent()).toBe('site=a, tier=edge');
    await devA.locator('td.ok', { hasText: 'Ready' }).waitFor({ timeout: PAGE_WAIT });
    expect(await page.locator('#devices-count').textContent()).toBe('2 devices');
    expect(await page.locator('#devices-table thead th[scope="col"] button').count()).toBe(8);
  });

  it('moves the rollout counter to 2/2 after a publish', async () => {
    const { page } = browser;
    writeSet({ 'all.yaml': policy('everywhere', null), 'a.yaml': policy('plant-a', 'a') });
    expect((await publish()).code).toBe(0);
    const { nc, commitRevision } = await hubKv(hub.url);
    const rev = await commitRevision();
    await nc.close();
    await page.locator('#rollout-revision', { hasText: String(rev) }).waitFor({ timeout: PAGE_WAIT });
    await waitFor('2/2 at the new revision', async () => (await page.locator('#rollout-applied').textContent()) === '2' && (await page.locator('#rollout-total').textContent()) === '2', PAGE_WAIT, 100);
    expect(await page.locator('#laggards li').count()).toBe(0);
    expect(await page.locator('#devices-table tr[data-node="dev-b"] td').nth(3).textContent()).toBe(String(rev));
    // what the page shows is what the hub says
    await converged(hub.url, ['dev-a', 'dev-b'], rev);
  });

  it('shows who holds an image, then a removal on a device in the activity list (its latency is the bench\'s, B15)', async () => {
    const { page } = browser;
    const docker = dockerFor(stackInfo());
    const ref = `${stackInfo().registry}/dash/app:1.2`;
    await buildFixture(docker, ref);
    await pushFixture(docker, ref);
    await docker.getImage(ref).remove();
    expect((await fleetCli(hub.url, ['pull', ref, '--node', 'dev-a'])).code).toBe(0);
    await page.fill('#image-query', ref);
    await page.press('#image-query', 'Enter');
    // both devices share the test's engine: both report it (dev-a pulled it, dev-b discovered it)
    // (the panel asks again as the devices' statuses change: the image was there before, removed)
    await page.locator('#images-summary', { hasText: 'Held by 2 devices: 2 idle.' }).waitFor({ timeout: PAGE_WAIT });
    expect(await page.locator('#images-table tbody tr th').allTextContents()).toEqual(['dev-a', 'dev-b']);
    const rmi = await fleetCli(hub.url, ['rmi', ref, '--node', 'dev-a']);
    expect(rmi.stdout).toMatch(/^dev-a: Deleted: sha256:[0-9a-f]{64}$/m);
    // the device has committed its record when rmi answers; from there, 2 s
    const row = page.locator('#activity-table tbody tr.removal[data-node="dev-a"]', { hasText: `removed by imagectl rmi ${ref}` });
    await row.waitFor({ timeout: 15_000 });
    expect(await row.locator('td').nth(3).textContent()).toMatch(/→ removed$/);
    await page.check('#removals-only');
    expect(await page.locator('#activity-table tbody tr:not([hidden])', { hasText: 'api.apply' }).count()).toBe(0);
    expect(await row.isVisible()).toBe(true);
    await page.uncheck('#removals-only');
    await page.locator('#images-table tbody tr[data-node="dev-a"][data-state="removed"]').waitFor({ timeout: PAGE_WAIT });
  });

  it('filters every panel by a label selector, and says when a selector does not parse', async () => {
    const { page } = browser;
    await page.fill('#selector', 'site=a');
    await waitFor('only dev-a', async () => (await rows().count()) === 1, PAGE_WAIT, 100);
    expect(await rows().locator('th').allTextContents()).toEqual(['dev-a']);
    expect(await page.locator('#devices-count').textContent()).toBe('1 of 2 devices match the selector');
    expect(await page.locator('#rollout-total').textContent()).toBe('1');
    expect(await page.locator('#images-table tbody tr').allTextContents()).toHaveLength(1);
    expect(await page.locator('#activity-table tbody tr:not([hidden])[data-node="dev-b"]').count()).toBe(0);
    expect(new URL(page.url()).searchParams.get('l')).toBe('site=a');
    await page.fill('#selector', 'site in (a');
    await page.locator('#selector-error', { hasText: /./ }).waitFor({ timeout: PAGE_WAIT });
    expect(await page.getAttribute('#selector', 'aria-invalid')).toBe('true');
    expect(await rows().count()).toBe(1); // the last good selector stays
    await page.fill('#selector', 'tier=edge,site notin (a)');
    await waitFor('only dev-b', async () => (await rows().locator('th').allTextContents()).join() === 'dev-b', PAGE_WAIT, 100);
    await page.fill('#selector', '');
    await waitFor('both again', async () => (await rows().count()) === 2, PAGE_WAIT, 100);
  });

  it('sorts from the keyboard and keeps rows in place as they change, keeps a screenshot, and logged no console error', async () => {
    const { page } = browser;
    const header = page.locator('#devices-table thead th[data-key="name"]');
    await header.locator('button').focus();
    await page.keyboard.press('Enter');
    expect(await header.getAttribute('aria-sort')).toBe('descending');
    expect(await rows().locator('th').allTextContents()).toEqual(['dev-b', 'dev-a']);
    await page.keyboard.press('Space');
    expect(await header.getAttribute('aria-sort')).toBe('ascending');
    // sorted by a value that changes, rows move to their place as their statuses come in
    const seen = page.locator('#devices-table thead th[data-key="lastSeen"] button');
    await seen.click();
    await seen.click();
    expect(await page.getAttribute('#devices-table thead th[data-key="lastSeen"]', 'aria-sort')).toBe('descending');
    writeSet({ 'all.yaml': policy('everywhere', null, '2h') });
    expect((await publish()).code).toBe(0);
    const { nc, commitRevision } = await hubKv(hub.url);
    const rev = await commitRevision();
    await nc.close();
    await waitFor('both rows at the new revision', async () => (await rows().locator('td:nth-child(5)').allTextContents()).every((t) => t === String(rev)), PAGE_WAIT, 100);
    const times = await rows().locator('time').evaluateAll((ts) => ts.map((t) => Date.parse(t.getAttribute('datetime')!)));
    expect(times).toEqual([...times].sort((x, y) => y - x));
    await page.locator('#devices-table thead th[data-key="name"] button').click();
    const shot = artifactPath('dashboard-e2e.png');
    await page.screenshot({ path: shot, fullPage: true });
    await page.setViewportSize({ width: 390, height: 844 });
    const phone = artifactPath('dashboard-e2e-phone.png');
    await page.screenshot({ path: phone, fullPage: true });
    // at phone width nothing is wider than the screen but the tables, which scroll in their region
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    console.log(`screenshots: ${shot} ${phone}`);
    expect(browser.errors).toEqual([]);
  });
});

describe('the fleet dashboard on a non-loopback address', () => {
  const tokenFile = join(dir, 'dashboard.token');
  const TOKEN = 'e2e-dashboard-token-5f3a9c1d7e';
  let open: DashboardProcess;

  beforeAll(() => {
    writeFileSync(tokenFile, `${TOKEN}\n`);
    chmodSync(tokenFile, 0o600);
  });

  afterAll(async () => {
    await open?.stop();
  });

  it('refuses to start on 0.0.0.0 without --token-file', async () => {
    const refused = new DashboardProcess(hub.url, ['--listen', `0.0.0.0:${await freePort()}`]);
    expect(await refused.exit()).not.toBe(0);
    expect(refused.err).toMatch(/error: --listen 0\.0\.0\.0:\d+ is not a loopback address: .*--token-file/);
    expect(refused.out).toBe('');
  });

  it('refuses requests without the token (401) and accepts the bearer token and the login form', async () => {
    const port = await freePort();
    open = new DashboardProcess(hub.url, ['--listen', `0.0.0.0:${port}`], ['--token-file', tokenFile]);
    await open.start();
    const base = `http://127.0.0.1:${port}`;
    for (const p of ['/', '/events', '/app.js', '/api/images?q=x']) expect((await fetch(`${base}${p}`)).status).toBe(401);
    expect((await fetch(`${base}/`, { headers: { authorization: 'Bearer wrong-token-0123456789' } })).status).toBe(401);
    const ok = await fetch(`${base}/`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(ok.status).toBe(200);
    expect(await ok.text()).toContain('<table id="devices-table"');
    const { page } = browser;
    await page.setViewportSize({ width: 1280, height: 900 });
    const res = await page.goto(`${base}/`);
    expect(res?.status()).toBe(401);
    await page.fill('#token', 'not-the-token-0000');
    await page.click('button[type="submit"]');
    await page.locator('p[role="alert"]').waitFor({ timeout: PAGE_WAIT });
    await page.fill('#token', TOKEN);
    await page.click('button[type="submit"]');
    await waitFor('the dashboard after the login', async () => (await rows().count()) === 2, PAGE_WAIT, 100);
    // 401 on the wrong token and the login page itself are the only errors the console may show
    expect(browser.errors.filter((e) => !/status of 401/.test(e))).toEqual([]);
  });
});
