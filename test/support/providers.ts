/**
 * The providers every integration suite runs against: a real PostgreSQL
 * server and embedded PGlite, through the same public API.
 */
import pg from 'pg';
import { Millrace, pglite, postgres } from '../../src/index.js';
import type { MillraceOptions } from '../../src/index.js';
import { TEST_DATABASE_URL, dropSchema, uniqueSchema } from './database.js';

export type ProviderName = 'postgres' | 'pglite';

export interface TestBackend {
  readonly name: ProviderName;
  readonly schema: string;
  /** Opens a Millrace instance on this backend's data (several may share it on postgres). */
  open(options?: Omit<MillraceOptions, 'provider'>): Promise<Millrace>;
  /** Runs SQL against the backend's database directly (checks that bypass millrace). */
  sql<R = Record<string, unknown>>(text: string, params?: unknown[]): Promise<R[]>;
  close(): Promise<void>;
}

export const PROVIDERS: readonly ProviderName[] = ['postgres', 'pglite'];

export async function openBackend(name: ProviderName): Promise<TestBackend> {
  const schema = uniqueSchema();
  if (name === 'postgres') {
    const opened: Millrace[] = [];
    const pool = new pg.Pool({ connectionString: TEST_DATABASE_URL, max: 4 });
    return {
      name,
      schema,
      async open(options = {}) {
        const millrace = await Millrace.open({
          ...options,
          provider: postgres({ connectionString: TEST_DATABASE_URL, schema, maxConnections: 8 }),
        });
        opened.push(millrace);
        return millrace;
      },
      async sql<R>(text: string, params?: unknown[]) {
        return (await pool.query(text, params)).rows as R[];
      },
      async close() {
        await Promise.all(opened.map((m) => m.close()));
        await pool.end();
        await dropSchema(schema);
      },
    };
  }
  // One PGlite instance per backend: it is single-session, and reopening memory loses the data.
  const { PGlite } = await import('@electric-sql/pglite');
  const db = await PGlite.create();
  const opened: Millrace[] = [];
  return {
    name,
    schema,
    async open(options = {}) {
      const millrace = await Millrace.open({ ...options, provider: pglite({ db, schema }) });
      opened.push(millrace);
      return millrace;
    },
    async sql<R>(text: string, params?: unknown[]) {
      return (await db.query(text, params)).rows as R[];
    },
    async close() {
      await Promise.all(opened.map((m) => m.close()));
      await db.close();
    },
  };
}
