import { inject } from 'vitest';
import type { StackInfo } from './stack.js';

declare module 'vitest' {
  export interface ProvidedContext {
    stack: StackInfo;
  }
}

/** The shared stack started by test/stack/global-setup.ts (integration project only). */
export function stackInfo(): StackInfo {
  const info = inject('stack');
  if (!info) throw new Error('no test stack provided: run this file in the "integration" vitest project');
  return info;
}
