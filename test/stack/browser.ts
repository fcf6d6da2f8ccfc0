/**
 * A headless Chromium for the dashboard's end-to-end tests and its bench: Debian's `chromium`
 * (installed here when missing, as the stack installs its packages; no browser download), driven
 * by playwright-core, with a fresh profile in a temp dir per launch. Stopped by pid at the end:
 * the browser's processes are found by that profile dir and killed if closing left any.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'];

/** Installs Debian's chromium when /usr/bin/chromium is missing. */
export function ensureChromium(): string {
  if (fs.existsSync(CHROMIUM)) return CHROMIUM;
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const apt = (...args: string[]) => execFileSync('apt-get', ['-o', 'DPkg::Lock::Timeout=300', ...args], { env, stdio: 'pipe', maxBuffer: 64 << 20 });
  try {
    apt('install', '-y', '--no-install-recommends', 'chromium');
  } catch {
    apt('update');
    apt('install', '-y', '--no-install-recommends', 'chromium');
  }
  if (!fs.existsSync(CHROMIUM)) throw new Error(`installed chromium but ${CHROMIUM} is still missing`);
  return CHROMIUM;
}

export interface Browser {
  context: BrowserContext;
  page: Page;
  /** console errors and uncaught exceptions of every page, as they came */
  errors: string[];
  close(): Promise<void>;
}

/** Pids whose command line names `dir` (the profile: only this browser's processes do). */
function pidsWith(dir: string): number[] {
  const out: number[] = [];
  for (const name of fs.readdirSync('/proc')) {
    const pid = Number(name);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    try {
      if (fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(dir)) out.push(pid);
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

export async function launchBrowser(viewport = { width: 1280, height: 900 }): Promise<Browser> {
  const executablePath = ensureChromium();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ictl-chromium-'));
  const context = await chromium.launchPersistentContext(dir, { executablePath, headless: true, args: CHROMIUM_ARGS, viewport });
  const errors: string[] = [];
  context.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console: ${m.text()} (${m.location().url})`);
  });
  context.on('weberror', (e) => errors.push(`uncaught: ${e.error().message}`));
  const page = context.pages()[0] ?? (await context.newPage());
  return {
    context, page, errors,
    close: async () => {
      await context.close().catch(() => undefined);
      for (const pid of pidsWith(dir)) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Where screenshots and other test artifacts go (gitignored). */
export function artifactPath(name: string): string {
  const dir = path.resolve(import.meta.dirname, '..', 'artifacts');
  fs.mkdirSync(dir, { recursive: true });
  return path.join(dir, name);
}
