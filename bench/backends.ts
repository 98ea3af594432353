/** Fresh, isolated places to measure in: a new schema on PostgreSQL, a new PGlite data directory. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { Millrace, pglite, postgres } from '../src/index.js';

export const DATABASE_URL =
  process.env.MILLRACE_BENCH_DATABASE_URL ??
  process.env.MILLRACE_TEST_DATABASE_URL ??
  'postgres://postgres@127.0.0.1:5432/test';

export type BackendName = 'postgres' | 'pglite';

export interface BenchBackend {
  readonly name: BackendName;
  readonly millrace: Millrace;
  dispose(): Promise<void>;
}

export async function openBench(name: BackendName): Promise<BenchBackend> {
  if (name === 'postgres') {
    const schema = `bench_${randomBytes(4).toString('hex')}`;
    const millrace = await Millrace.open({
      provider: postgres({ connectionString: DATABASE_URL, schema, maxConnections: 20 }),
    });
    return {
      name,
      millrace,
      async dispose() {
        await millrace.close();
        await dropSchema(schema);
      },
    };
  }
  const dir = mkdtempSync(join(tmpdir(), 'millrace-bench-'));
  const millrace = await Millrace.open({ provider: pglite({ dataDir: join(dir, 'pgdata') }) });
  return {
    name,
    millrace,
    async dispose() {
      await millrace.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Drops a schema the benchmarks made, with everything in it. */
export async function dropSchema(schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: DATABASE_URL });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await client.end();
  }
}
