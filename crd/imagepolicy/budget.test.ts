import { describe, expect, it } from 'vitest';
import schema from './schema.json' with { type: 'json' };
import type { ImagePolicy } from './type.js';
import { MAX_KEEP, MAX_PATTERN_LENGTH, MAX_RULES, MAX_SET_ALTERNATIVES, policyBudgetProblem, setBudgetProblems, slowAlternativeProblem } from './budget.js';
import { compilePattern, PATTERN_CACHE_COST, patternCacheSize } from './compile.js';
import { globProblem, imagePatternProblem } from './pattern.js';
import { validateManifest } from '../validate.js';

const policy = (name: string, keep: string[], removal = [{ imageName: '*', deleteAfter: '1h' }]): ImagePolicy => ({
  apiVersion: 'imagectl.dev/v1alpha1', kind: 'ImagePolicy', metadata: { name }, spec: { removal, keep },
}) as ImagePolicy;

describe('the cost budget of policies', () => {
  it('the schema carries the same item and length limits as the budget', () => {
    const spec = schema.properties.spec.properties;
    expect(spec.removal.maxItems).toBe(MAX_RULES);
    expect(spec.keep.maxItems).toBe(MAX_KEEP);
    expect(spec.keep.items.maxLength).toBe(MAX_PATTERN_LENGTH);
    expect(spec.removal.items.properties.imageName.maxLength).toBe(MAX_PATTERN_LENGTH);
  });

  // finding 1 of the security issue: 4000 keep globs of 1000 alternatives each (107 KB) blocked
  // validation for 34 s and grew the agent to 3.8 GB; 300 of them (8 KB) took 5.4 s and 530 MB
  it('refuses a policy whose patterns expand past the policy budget, naming the pattern that crossed it, without compiling them', () => {
    const keep = Array.from({ length: 300 }, (_, i) => `fixture/p${i}{0..999}:*`);
    const before = patternCacheSize().alternatives;
    const problems = validateManifest(policy('bomb', keep));
    expect(problems).toEqual([{ path: ['spec', 'keep', 4], message: "the policy's patterns expand to more than 5000 brace alternatives in all (the budget of one policy): use fewer or broader globs" }]);
    expect(patternCacheSize().alternatives).toBe(before);
    // the 107 KB one is stopped by the schema's maxItems before any check runs
    expect(validateManifest(policy('bomb', Array.from({ length: 4000 }, (_, i) => `fixture/p${i}{0..999}:*`))).map((p) => p.message)).toEqual(['must NOT have more than 1000 items']);
    expect(policyBudgetProblem(policy('ok', keep.slice(0, 4)).spec)).toBeNull();
  });

  it('counts every policy of the set: the ones past the set budget are named, in name order', () => {
    const big = (name: string) => policy(name, Array.from({ length: 4 }, (_, i) => `fixture/${name}${i}{0..999}:*`), []);
    const set = Array.from({ length: 6 }, (_, i) => big(`p${i}`));
    const over = setBudgetProblems(set.reverse());
    expect([...over.keys()]).toEqual(['p5']);
    expect(over.get('p5')).toContain(`more than ${MAX_SET_ALTERNATIVES} brace alternatives`);
    expect(setBudgetProblems([policy('x', ['app:{1..2000}'])]).get('x')).toBe('spec.keep[0]: glob "app:{1..2000}" expands to more than 1000 alternatives');
  });

  it('refuses extglobs that would backtrack without bound, and keeps plain globs with any number of wildcards', () => {
    expect(slowAlternativeProblem('app:+(a|aa)')).toContain('may hold only literals and classes');
    expect(slowAlternativeProblem('app:*(?)x')).toContain('may hold only literals and classes');
    expect(slowAlternativeProblem('app:*+(a)*')).toContain('more than 2 wildcards');
    expect(slowAlternativeProblem('app:+(ab)*')).toBeNull();
    // (image patterns seldom get this far: the reference grammar refuses most extglobs first)
    expect(globProblem('app:+(a|aa)')).toContain('backtrack');
    expect(globProblem('app:+(ab)')).toBeNull();
    expect(imagePatternProblem('app:a*a*a*a*a*a*a*b')).toBeNull();
  });

  it('the compile cache is bounded by what it holds, and lets go of the oldest patterns', () => {
    for (let i = 0; i < 40; i++) compilePattern(`fixture/c${i}{0..999}:*`);
    const { entries, alternatives } = patternCacheSize();
    expect(alternatives).toBeLessThanOrEqual(PATTERN_CACHE_COST);
    expect(entries).toBeLessThan(40);
    // a recent pattern is still there: the same object comes back
    expect(compilePattern('fixture/c39{0..999}:*')).toBe(compilePattern('fixture/c39{0..999}:*'));
  });
});
