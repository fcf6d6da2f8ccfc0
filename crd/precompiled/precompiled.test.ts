import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { generate, generatedPath, MODULES } from './generate.js';
import { TEMPLATES } from '../../cli/commands/new.js';
import * as manifestValidators from './manifest-validators.js';
import * as openHorizonValidator from './openhorizon-validator.js';
import type { SchemaValidator } from '../validate.js';

const root = join(import.meta.dirname, '..', '..');

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    // manifests/prometheus/ holds Prometheus alert rules, not imagectl manifests
    if (p === join(root, 'manifests', 'prometheus')) return [];
    return statSync(p).isDirectory() ? files(p) : /\.(ya?ml|json)$/.test(n) ? [p] : [];
  });
}

/** Every document of the examples, the bad-input corpus and the templates that yaml can read. */
function corpus(): unknown[] {
  const texts = [...files(join(root, 'manifests')), ...files(join(root, 'test', 'bad-input'))].map((f) => readFileSync(f, 'utf8'));
  texts.push(...Object.values(TEMPLATES));
  const out: unknown[] = [];
  for (const t of texts) {
    for (const d of parseAllDocuments(t) as ReturnType<typeof parseAllDocuments> & unknown[]) {
      if (d.errors.length > 0) continue;
      try {
        out.push(d.toJS({ maxAliasCount: 100 }));
      } catch {
        // an alias bomb: not a sample
      }
    }
  }
  return out;
}

const WRONG = [null, 0, -1, 1.5, 'x', '', true, [], ['x'], {}, { x: 1 }];

/** The object, and variants of it broken in every place: each field dropped, retyped or joined by an unknown one. */
function variants(obj: unknown): unknown[] {
  const out: unknown[] = [obj];
  const walk = (node: unknown, set: (v: unknown) => unknown) => {
    if (Array.isArray(node)) {
      node.forEach((item, i) => walk(item, (v) => set(node.map((x, j) => (j === i ? v : x)))));
      out.push(set([...node, { unexpected: true }]));
    } else if (node !== null && typeof node === 'object') {
      const rec = node as Record<string, unknown>;
      out.push(set({ ...rec, zzUnknown: 1 }));
      for (const k of Object.keys(rec)) {
        const { [k]: _drop, ...rest } = rec;
        out.push(set(rest));
        walk(rec[k], (v) => set({ ...rec, [k]: v }));
      }
    }
    for (const w of WRONG) out.push(set(w));
    if (typeof node === 'string') out.push(set(`${node}X Y`), set('a'.repeat(300)), set('\u{1F600}'.repeat(40)));
  };
  walk(obj, (v) => v);
  return out;
}

describe('precompiled validators (crd/precompiled)', () => {
  it.each(MODULES.map((m) => [m.file, m] as const))('%s is fresh: npm run validators regenerates it identically', (_f, m) => {
    expect(readFileSync(generatedPath(m), 'utf8')).toBe(generate(m));
  });

  it('return what ajv compiling the schemas returns, errors included, on valid and broken manifests', () => {
    const samples = corpus();
    expect(samples.length).toBeGreaterThan(40);
    let checked = 0;
    let invalid = 0;
    for (const m of MODULES) {
      const mod = (m.file.startsWith('manifest') ? manifestValidators : openHorizonValidator) as unknown as Record<string, SchemaValidator>;
      const ajv = new Ajv(m.options);
      for (const [name, file] of Object.entries(m.exports)) {
        const reference = ajv.compile(JSON.parse(readFileSync(join(root, 'crd', file), 'utf8')) as object);
        const generated = mod[name]!;
        for (const sample of samples) {
          for (const v of variants(sample)) {
            const want = reference(v);
            const got = generated(v);
            expect(got).toBe(want);
            expect(generated.errors ?? null).toEqual(reference.errors ?? null);
            checked++;
            if (!want) invalid++;
          }
        }
      }
    }
    expect(invalid).toBeGreaterThan(1000);
    expect(checked - invalid).toBeGreaterThan(20);
  }, 60_000); // compiles every schema with ajv and runs the whole corpus: seconds on a loaded machine
});
