/**
 * The conformance fixtures: upstream projects' test cases written as data (test/conformance/<upstream>/).
 * Each file names the repository, commit and files its cases come from; a case that imagectl
 * answers differently on purpose names its entry in the README's "Deliberate differences from
 * upstream grammars", which must exist. Nothing here downloads anything.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';

const HERE = import.meta.dirname;

export interface Upstream {
  repository: string;
  commit: string;
  files: string[];
}

export interface Fixture {
  upstream: Upstream;
  about: string;
  [key: string]: unknown;
}

/** A fixture file, checked to name where it comes from. */
export function fixture<T extends Fixture>(path: string): T {
  const f = JSON.parse(readFileSync(join(HERE, path), 'utf8')) as T;
  expect(f.upstream.repository).toMatch(/^[\w.-]+\/[\w.-]+$/);
  expect(f.upstream.commit).toMatch(/^[0-9a-f]{40}$/);
  expect(f.upstream.files.length).toBeGreaterThan(0);
  return f;
}

/** The ids listed under "Deliberate differences from upstream grammars" in the README. */
export function listedDifferences(): Set<string> {
  const readme = readFileSync(join(HERE, '../../README.md'), 'utf8');
  const start = readme.indexOf('### Deliberate differences from upstream grammars');
  expect(start, 'the README has a "Deliberate differences from upstream grammars" section').toBeGreaterThan(0);
  const end = readme.indexOf('\n#', start + 10);
  const section = readme.slice(start, end < 0 ? undefined : end);
  return new Set([...section.matchAll(/^- \*\*`([a-z0-9-]+)`\*\*/gm)].map((m) => m[1]!));
}

/** What imagectl must answer for a case: upstream's answer, or the documented difference. */
export function expected<T>(c: { deliberate?: string; imagectl?: T }, upstream: T, listed: Set<string>): T {
  if (c.deliberate === undefined) return upstream;
  expect(listed, `deliberate difference ${c.deliberate} is listed in the README`).toContain(c.deliberate);
  expect(c.imagectl, `a deliberate case says what imagectl answers`).toBeDefined();
  return c.imagectl!;
}
