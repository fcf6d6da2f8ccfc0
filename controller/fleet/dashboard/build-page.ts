/**
 * Build script (run by `npm run build`, never loaded at run time): bundles the dashboard's page
 * with esbuild into dist/controller/fleet/dashboard/page/, beside the compiled server that serves
 * it: app.js (page/main.ts with what it imports: uPlot and the label-selector parser of crd/),
 * app.css (page/style.css with uPlot's stylesheet) and index.html. Nothing is fetched from a CDN;
 * the page needs nothing but this server.
 */
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';

const here = import.meta.dirname;
const root = join(here, '..', '..', '..');
const out = join(root, 'dist', 'controller', 'fleet', 'dashboard', 'page');

mkdirSync(out, { recursive: true });
await build({
  entryPoints: { app: join(here, 'page', 'main.ts') },
  outdir: out,
  bundle: true,
  format: 'esm',
  platform: 'browser',
  // browsers of the last few years: Chromium, Firefox and Safari with ES2020 and EventSource
  target: ['es2020', 'chrome90', 'firefox90', 'safari15'],
  minify: true,
  sourcemap: 'linked',
  sourcesContent: false,
  banner: { js: '/*! imagectl fleet dashboard; bundles uPlot (MIT, Copyright (c) Leon Sorokin): see THIRD-PARTY-LICENSES.txt */' },
  logLevel: 'warning',
});
await build({
  entryPoints: { app: join(here, 'page', 'style.css') },
  outdir: out,
  bundle: true,
  minify: true,
  logLevel: 'warning',
});
copyFileSync(join(here, 'page', 'index.html'), join(out, 'index.html'));
// uPlot's MIT licence travels with the bundle that contains it
writeFileSync(join(out, 'THIRD-PARTY-LICENSES.txt'), `uPlot (https://github.com/leeoniya/uPlot)\n\n${readFileSync(join(root, 'node_modules', 'uplot', 'LICENSE'), 'utf8')}`);
