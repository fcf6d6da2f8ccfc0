import type { TestProject } from 'vitest/node';
import type {} from './context.js'; // ProvidedContext typing for provide('stack')
import { ensurePackages, startStack } from './stack.js';

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  await ensurePackages();
  const stack = await startStack({ log: (s) => console.log(`[stack] ${s}`) });
  const { dockerHost, socketPath, registry, root } = stack;
  project.provide('stack', { dockerHost, socketPath, registry, root });
  return () => stack.stop();
}
