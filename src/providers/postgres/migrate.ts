/**
 * Applies the numbered migrations in one transaction under an advisory lock,
 * so processes starting together take turns and the second finds the work
 * done. Each migration writes its ledger row before it runs: two migrators
 * that somehow bypassed the lock collide on the ledger's primary key instead
 * of applying a migration twice.
 */
import { MillraceError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import type { Database } from './database.js';
import { migrations } from './sql/generated.js';
import { renderSql, type SqlNames } from './sql.js';

export interface MigrationResult {
  readonly applied: readonly string[];
  readonly current: number;
}

/**
 * Most opens find every migration applied: two plain reads say so without
 * the lock and the DDL, whose first run in a new PGlite instance costs tens
 * of milliseconds. Only committed ledger rows are seen, so a migration in
 * progress elsewhere leaves this false.
 */
async function upToDate(db: Database, names: SqlNames): Promise<boolean> {
  const [ledger] = await db.query<{ present: boolean }>(
    'SELECT to_regclass($1) IS NOT NULL AS present',
    [`"${names.schema}".migrations`],
  );
  if (ledger?.present !== true) return false;
  const [state] = await db.query<{ applied: number; newest: number | null }>(
    `SELECT count(*)::int AS applied, max(id) AS newest FROM "${names.schema}".migrations`,
  );
  return state?.applied === migrations.length && state.newest === migrations.length;
}

/** `logger` hears, at info, which migrations are about to run (nothing when none are). */
export async function migrate(
  db: Database,
  names: SqlNames,
  logger?: Logger,
): Promise<MigrationResult> {
  if (await upToDate(db, names)) return { applied: [], current: migrations.length };
  const schema = `"${names.schema}"`;
  return db.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock(hashtextextended($1::text, 0))', [
      `millrace:migrate:${names.schema}`,
    ]);
    await tx.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
    await tx.query(
      `CREATE TABLE IF NOT EXISTS ${schema}.migrations (
         id integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`,
    );
    const rows = await tx.query<{ id: number }>(`SELECT id FROM ${schema}.migrations ORDER BY id`);
    const done = new Set(rows.map((row) => row.id));
    const newest = rows.at(-1)?.id ?? 0;
    const known = migrations.length;
    if (newest > known) {
      throw new MillraceError(
        'validation',
        `schema ${schema} is at migration ${newest}, newer than this millrace knows (${known}): upgrade millrace`,
        false,
        { reason: 'schema_too_new' },
      );
    }
    const label = (id: number, name: string) => `${String(id).padStart(4, '0')}_${name}`;
    const pending = migrations.filter((migration) => !done.has(migration.id));
    if (pending.length > 0) {
      logger?.info(
        { schema: names.schema, pending: pending.map((m) => label(m.id, m.name)) },
        'migrating',
      );
    }
    const applied: string[] = [];
    for (const migration of pending) {
      await tx.query(`INSERT INTO ${schema}.migrations (id, name) VALUES ($1, $2)`, [
        migration.id,
        migration.name,
      ]);
      for (const statement of splitStatements(renderSql(migration.text, names))) {
        await tx.query(statement);
      }
      applied.push(label(migration.id, migration.name));
    }
    return { applied, current: known };
  });
}

/**
 * Splits a migration into statements, keeping dollar-quoted bodies whole.
 * Migrations run statement by statement so they work inside one transaction
 * on every driver (PGlite's `exec` and pg's simple protocol differ there).
 */
export function splitStatements(text: string): string[] {
  const statements: string[] = [];
  let current = '';
  let dollarTag: string | undefined;
  for (const line of text.split('\n')) {
    const trimmed = line.trim();
    if (dollarTag === undefined && (trimmed.startsWith('--') || trimmed === '')) {
      if (current !== '') current += '\n';
      continue;
    }
    current += `${line}\n`;
    for (const match of line.matchAll(/\$[A-Za-z_]*\$/g)) {
      if (dollarTag === undefined) dollarTag = match[0];
      else if (match[0] === dollarTag) dollarTag = undefined;
    }
    if (dollarTag === undefined && trimmed.endsWith(';')) {
      statements.push(current.trim());
      current = '';
    }
  }
  if (current.trim() !== '') statements.push(current.trim());
  return statements;
}
