import { configDefaults, defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // The integration teardown stops dockerd; vitest's default 10 s would cut it short.
    teardownTimeout: 30_000,
    projects: [
      {
        test: {
          name: 'unit',
          include: ['{statemachines,controller,crd,cli}/**/*.test.ts', 'test/layout/*.test.ts', 'test/conformance/*.test.ts', 'test/model/*.test.ts'],
          // the seeded randomized and whole-corpus tests take seconds on a machine that runs other work
          testTimeout: 30_000,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/**/*.test.ts'],
          exclude: [...configDefaults.exclude, 'test/fault/**', 'test/layout/**', 'test/conformance/**', 'test/model/**'],
          globalSetup: ['test/stack/global-setup.ts'],
          fileParallelism: false, // all files share one engine and registry
          testTimeout: 60_000,
          hookTimeout: 180_000, // installing the Debian packages can take a while
        },
      },
      {
        // the fault-injection suite (npm run test:fault): crashes, engine and registry outages,
        // races, event storms, state-dir trouble, clock jumps, and the API's security
        test: {
          name: 'fault',
          include: ['test/fault/**/*.test.ts'],
          globalSetup: ['test/stack/global-setup.ts'],
          fileParallelism: false,
          testTimeout: 180_000,
          hookTimeout: 180_000,
        },
      },
    ],
  },
});
