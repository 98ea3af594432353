import { defineConfig } from 'vitest/config';

// The tier is in the file name: *.test.ts runs without services, *.int.test.ts
// talks to real PostgreSQL and PGlite, *.e2e.test.ts runs processes,
// *.conformance.test.ts runs the provider conformance suite.
export default defineConfig({
  test: {
    projects: [
      { test: { name: 'unit', include: ['test/unit/**/*.test.ts'] } },
      {
        test: {
          name: 'int',
          include: ['test/int/**/*.int.test.ts'],
          testTimeout: 60_000,
          hookTimeout: 60_000,
          globalSetup: ['test/support/global-setup.ts'],
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.e2e.test.ts'],
          testTimeout: 120_000,
          hookTimeout: 60_000,
          globalSetup: ['test/support/global-setup.ts'],
          fileParallelism: false,
        },
      },
      {
        // One suite every provider passes (test/support/conformance/targets.ts
        // says which run); files one after another, since they start members.
        test: {
          name: 'conformance',
          include: ['test/conformance/**/*.conformance.test.ts'],
          testTimeout: 120_000,
          hookTimeout: 60_000,
          globalSetup: ['test/support/global-setup.ts'],
          fileParallelism: false,
        },
      },
    ],
  },
});
