/**
 * The prepared data directory image, built here from this checkout: a data
 * directory started from it is the one initdb and the migrations make, a
 * damaged one falls back to initdb, and the data directory lock holds
 * while a directory is being made.
 */
import { copyFileSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/providers/postgres/database.js';
import { buildPgliteImage } from '../../src/providers/postgres/pglite-image-build.js';
import type { PgliteImage } from '../../src/providers/postgres/pglite-image.js';
import { PgliteDatabase } from '../../src/providers/postgres/pglite-database.js';
import { PostgresProvider } from '../../src/providers/postgres/postgres-provider.js';
import { migrations } from '../../src/providers/postgres/sql/generated.js';
import { PATIENCE, recordingLogger } from '../support/wait.js';

let root: string;
let image: PgliteImage;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'millrace-image-'));
  image = { tarball: join(root, 'image.tar.br'), manifest: join(root, 'image.json') };
  await buildPgliteImage(image);
}, 180_000 * PATIENCE);

afterAll(() => {
  if (root !== undefined) rmSync(root, { recursive: true, force: true });
});

const SCHEMA_QUERIES = {
  relations: `SELECT relname, relkind FROM pg_class WHERE relnamespace = $1::regnamespace ORDER BY 1`,
  columns: `SELECT table_name, column_name, data_type, column_default, is_nullable
              FROM information_schema.columns WHERE table_schema = $1 ORDER BY table_name, ordinal_position`,
  indexes: `SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = $1 ORDER BY 1`,
  constraints: `SELECT conrelid::regclass::text AS tbl, conname, pg_get_constraintdef(oid) AS def
                  FROM pg_constraint WHERE connamespace = $1::regnamespace ORDER BY 1, 2`,
  functions: `SELECT proname, pg_get_function_identity_arguments(oid) AS args, pg_get_functiondef(oid) AS def
                FROM pg_proc WHERE pronamespace = $1::regnamespace ORDER BY 1, 2`,
  triggers: `SELECT t.tgname, pg_get_triggerdef(t.oid) AS def FROM pg_trigger t
               JOIN pg_class c ON c.oid = t.tgrelid
              WHERE c.relnamespace = $1::regnamespace AND NOT t.tgisinternal ORDER BY 1, 2`,
  databases: `SELECT datname FROM pg_database WHERE $1::text IS NOT NULL ORDER BY 1`,
  extensions: `SELECT extname, extversion FROM pg_extension WHERE $1::text IS NOT NULL ORDER BY 1`,
  // A loaded language's settings (plpgsql.*) say what this session has run, not what the directory holds.
  settings: `SELECT name, setting FROM pg_settings
             WHERE $1::text IS NOT NULL AND name NOT LIKE 'plpgsql.%' ORDER BY 1`,
};

/** Everything a schema is made of, and every row in it but the ledger's times. */
async function snapshot(db: Database, schema: string): Promise<Record<string, unknown>> {
  const shape: Record<string, unknown> = {};
  for (const [name, text] of Object.entries(SCHEMA_QUERIES)) {
    shape[name] = await db.query(text, [schema]);
  }
  const tables = await db.query<{ relname: string }>(
    `SELECT relname FROM pg_class WHERE relnamespace = $1::regnamespace AND relkind = 'r' ORDER BY 1`,
    [schema],
  );
  for (const { relname } of tables) {
    const rows = await db.query<{ row: Record<string, unknown> }>(
      `SELECT to_jsonb(t) - 'applied_at' AS row FROM "${schema}"."${relname}" t`,
    );
    shape[`rows of ${relname}`] = rows.map((r) => JSON.stringify(r.row)).sort();
  }
  return shape;
}

async function openProvider(dataDir: string, withImage: PgliteImage) {
  const logger = recordingLogger();
  const db = await PgliteDatabase.open({
    dataDir,
    migratedSchema: 'millrace',
    image: withImage,
    logger,
  });
  const provider = await PostgresProvider.open(db, { schema: 'millrace', logger });
  return { db, provider, messages: logger.lines.map((line) => `${line.level} ${line.message}`) };
}

describe('a data directory started from the prepared image', () => {
  it('is the one initdb and the migrations make; a damaged image falls back to them', async () => {
    const startedAt = Date.now();
    const fromImage = await openProvider(join(root, 'from-image'), image);
    const damaged = { tarball: join(root, 'damaged.tar.br'), manifest: join(root, 'damaged.json') };
    copyFileSync(image.manifest, damaged.manifest);
    writeFileSync(damaged.tarball, 'not brotli');
    const fromInitdb = await openProvider(join(root, 'from-initdb'), damaged);
    try {
      expect(fromImage.messages).toEqual([
        'info creating the data directory from the prepared image',
      ]);
      expect(fromImage.provider.migration?.applied).toEqual([]);
      expect(fromInitdb.messages).toEqual([
        'info creating the data directory from the prepared image',
        'warn the prepared image did not open; creating the data directory with initdb',
        'info migrating',
      ]);
      expect(fromInitdb.provider.migration?.applied).toHaveLength(migrations.length);
      expect(readdirSync(root).filter((name) => name.includes('unpacking'))).toEqual([]);

      const made = await snapshot(fromInitdb.db, 'millrace');
      expect((made.relations as unknown[]).length).toBeGreaterThan(10);
      expect(await snapshot(fromImage.db, 'millrace')).toEqual(made);
      const ledger = await fromImage.db.query<{ id: number; name: string; applied_at: Date }>(
        'SELECT id, name, applied_at FROM millrace.migrations ORDER BY id',
      );
      expect(ledger.map(({ id, name }) => ({ id, name }))).toEqual(
        migrations.map(({ id, name }) => ({ id, name })),
      );
      // The ledger tells when this data directory got its schema, not when the image was built.
      for (const row of ledger) expect(row.applied_at.getTime()).toBeGreaterThan(startedAt - 1000);
    } finally {
      await fromImage.provider.close();
      await fromInitdb.provider.close();
    }
  });

  it('is kept to one opener while it is made, and opens as an existing one after', async () => {
    const dataDir = join(root, 'locked');
    const opens = await Promise.allSettled([
      PgliteDatabase.open({ dataDir, migratedSchema: 'millrace', image }),
      PgliteDatabase.open({ dataDir, migratedSchema: 'millrace', image }),
    ]);
    const opened = opens.flatMap((open) => (open.status === 'fulfilled' ? [open.value] : []));
    const refused = opens.flatMap((open) =>
      open.status === 'rejected' ? [open.reason as unknown] : [],
    );
    expect(opened).toHaveLength(1);
    expect(refused).toEqual([expect.objectContaining({ reason: 'data_dir_locked' })]);
    await opened[0]?.close();

    const again = await openProvider(dataDir, image);
    try {
      expect(again.messages).toEqual(['info opening the data directory']);
      expect(again.provider.migration?.applied).toEqual([]);
    } finally {
      await again.provider.close();
    }
    expect(existsSync(`${dataDir}.lock`)).toBe(false);
  });

  it('starts an in-memory database migrated', async () => {
    const db = await PgliteDatabase.open({ migratedSchema: 'millrace', image });
    try {
      const rows = await db.query<{ n: number }>(
        'SELECT count(*)::int AS n FROM millrace.migrations',
      );
      expect(rows).toEqual([{ n: migrations.length }]);
    } finally {
      await db.close();
    }
  });
});
