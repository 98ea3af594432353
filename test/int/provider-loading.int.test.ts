/**
 * Providers load on demand: opening PostgreSQL or PGlite never loads the
 * Kafka or Redis client, a server-backed application never loads PGlite, and an
 * embedded one never loads the PostgreSQL client. Each case
 * runs in a process of its own with a module-load recorder, and the Kafka
 * case is the control that shows the recorder sees the client when it loads.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { dropSchema, TEST_DATABASE_URL, uniqueSchema } from '../support/database.js';

const run = promisify(execFile);
const HOOK = fileURLToPath(new URL('../support/loads/record-module-loads.mjs', import.meta.url));
const SCRIPT = fileURLToPath(new URL('../support/loads/open-provider.ts', import.meta.url));
const KAFKA_CLIENT = '/node_modules/@platformatic/kafka/';
const REDIS_CLIENT = '/node_modules/ioredis/';
const PGLITE = '/node_modules/@electric-sql/pglite/';
const PG_CLIENT = '/node_modules/pg/';

const dir = mkdtempSync(join(tmpdir(), 'millrace-loads-'));
const schemas: string[] = [];
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  for (const schema of schemas) await dropSchema(schema);
});

interface Outcome {
  readonly opened: boolean;
  readonly events?: number;
  readonly error?: string;
  readonly loaded: readonly string[];
}

async function openIn(kind: string, ...args: string[]): Promise<Outcome> {
  const record = join(dir, `${kind}.loads`);
  const { stdout } = await run(
    process.execPath,
    ['--import', 'tsx', '--import', HOOK, SCRIPT, kind, ...args],
    { env: { ...process.env, MILLRACE_RECORD_LOADS: record } },
  );
  const loaded = readFileSync(record, 'utf8').split('\n');
  return { ...(JSON.parse(stdout.trim()) as Omit<Outcome, 'loaded'>), loaded };
}

const loads = (outcome: Outcome, path: string) => outcome.loaded.some((url) => url.includes(path));

describe('providers load on demand', () => {
  it('PostgreSQL loads neither the Kafka client nor PGlite', async () => {
    const schema = uniqueSchema('loads');
    schemas.push(schema);
    const outcome = await openIn('postgres', TEST_DATABASE_URL, schema);
    expect(outcome).toMatchObject({ opened: true, events: 1 });
    expect(loads(outcome, PG_CLIENT)).toBe(true);
    expect(loads(outcome, KAFKA_CLIENT)).toBe(false);
    expect(loads(outcome, REDIS_CLIENT)).toBe(false);
    expect(loads(outcome, PGLITE)).toBe(false);
  });

  it('PGlite loads neither the Kafka client nor the PostgreSQL client', async () => {
    const outcome = await openIn('pglite');
    expect(outcome).toMatchObject({ opened: true, events: 1 });
    expect(loads(outcome, PGLITE)).toBe(true);
    expect(loads(outcome, KAFKA_CLIENT)).toBe(false);
    expect(loads(outcome, REDIS_CLIENT)).toBe(false);
    expect(loads(outcome, PG_CLIENT)).toBe(false);
  });

  it('Kafka loads its client when opened, and only then', async () => {
    const outcome = await openIn('kafka');
    expect(outcome.opened).toBe(false);
    expect(outcome.error).toMatch(/no broker answers at 127\.0\.0\.1:1/);
    expect(loads(outcome, KAFKA_CLIENT)).toBe(true);
    expect(loads(outcome, REDIS_CLIENT)).toBe(false);
    expect(loads(outcome, PGLITE)).toBe(false);
  });

  it('Redis loads its client when opened, and only then', async () => {
    const outcome = await openIn('redis');
    expect(outcome.opened).toBe(false);
    expect(outcome.error).toMatch(/redis: no server answers at redis:\/\/127\.0\.0\.1:1/);
    expect(loads(outcome, REDIS_CLIENT)).toBe(true);
    expect(loads(outcome, KAFKA_CLIENT)).toBe(false);
    expect(loads(outcome, PGLITE)).toBe(false);
  });
});
