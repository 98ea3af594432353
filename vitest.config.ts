import { defineConfig } from 'vitest/config';

// The tier is in the file name: *.test.ts runs without services, *.int.test.ts
// talks to real PostgreSQL and PGlite, *.e2e.test.ts runs processes,
// *.conformance.test.ts runs the provider conformance suite. What talks to
// Kafka is a tier of its own, so PostgreSQL-only runs need no broker; its
// set-up starts one when none answers.
// (The peer benchmark's test is among them: one of its systems is millrace on Kafka.)
const KAFKA_FILES = [
  'test/int/kafka-*.int.test.ts',
  'test/e2e/kafka-*.e2e.test.ts',
  'test/e2e/bench-peers.e2e.test.ts',
];

// Failure bounds stretch on a machine kept busy on purpose (test/support/wait.ts).
const patience = Math.max(1, Number(process.env.MILLRACE_TEST_PATIENCE ?? '1') || 1);
const seconds = (n: number) => n * 1000 * patience;

export default defineConfig({
  test: {
    // Once per run, whatever the tier: the SQL module compiled from the .sql files.
    globalSetup: ['test/support/sql-global-setup.ts'],
    projects: [
      {
        test: { name: 'unit', include: ['test/unit/**/*.test.ts'], testTimeout: seconds(5) },
      },
      {
        test: {
          name: 'int',
          include: ['test/int/**/*.int.test.ts'],
          exclude: KAFKA_FILES,
          testTimeout: seconds(60),
          hookTimeout: seconds(120),
          globalSetup: ['test/support/global-setup.ts'],
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.e2e.test.ts'],
          exclude: KAFKA_FILES,
          testTimeout: seconds(120),
          hookTimeout: seconds(180),
          globalSetup: ['test/support/global-setup.ts'],
          fileParallelism: false,
        },
      },
      {
        test: {
          name: 'kafka',
          include: KAFKA_FILES,
          testTimeout: seconds(120),
          hookTimeout: seconds(180),
          globalSetup: ['test/support/global-setup.ts', 'test/support/kafka-global-setup.ts'],
          fileParallelism: false,
        },
      },
      {
        // One suite every provider passes (test/support/conformance/targets.ts
        // says which run); files one after another, since they start members.
        test: {
          name: 'conformance',
          include: ['test/conformance/**/*.conformance.test.ts'],
          testTimeout: seconds(120),
          hookTimeout: seconds(180),
          globalSetup: ['test/support/conformance-global-setup.ts'],
          fileParallelism: false,
        },
      },
    ],
  },
});
