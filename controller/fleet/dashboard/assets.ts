/**
 * The page's files: the bundle `npm run build` makes from page/ (build-page.ts writes index.html,
 * app.js and app.css next to the compiled server, in dist/controller/fleet/dashboard/page/), read
 * once at start and served from memory with an ETag. The page loads nothing from anywhere else,
 * and the Content-Security-Policy says so to the browser.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { extname, join } from 'node:path';

export interface Asset {
  body: Buffer;
  type: string;
  etag: string;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
};

/** Only this origin, no inline script or style, no frames. */
export const SECURITY_HEADERS: Record<string, string> = {
  'content-security-policy': "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
};

/** Where the built page is: beside this module once compiled (dist/controller/fleet/dashboard/page). */
export function defaultAssetsDir(): string {
  return join(import.meta.dirname, 'page');
}

/** Read the built page; a missing build is an error that says how to make it. */
export function loadAssets(dir = defaultAssetsDir()): Map<string, Asset> {
  if (!existsSync(join(dir, 'index.html')) || !existsSync(join(dir, 'app.js'))) {
    throw new Error(`the dashboard's page is not built (no index.html and app.js in ${dir}); run npm run build`);
  }
  const out = new Map<string, Asset>();
  for (const name of readdirSync(dir)) {
    const type = TYPES[extname(name)];
    if (!type) continue;
    const body = readFileSync(join(dir, name));
    out.set(`/${name}`, { body, type, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"` });
  }
  return out;
}
