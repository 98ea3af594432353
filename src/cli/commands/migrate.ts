import type { Command } from 'commander';
import type { MigrationResult } from '../../providers/postgres/migrate.js';
import { pglite, postgres } from '../../providers/postgres/postgres-provider.js';
import { cliLogger, logLevel } from '../logger.js';
import { note, print, printJson } from '../output.js';
import { findLiveServer } from '../server-file.js';
import { addDatabaseOptions, embeddedDataDir, type DatabaseOptions } from '../target.js';

interface MigrateOptions extends DatabaseOptions {
  json?: boolean;
}

/** Opens the database's provider alone (no scheduler, no consumers), which migrates it. */
async function applyMigrations(options: DatabaseOptions): Promise<MigrationResult> {
  const factory =
    options.databaseUrl !== undefined
      ? postgres({
          connectionString: options.databaseUrl,
          schema: options.schema,
          maxConnections: 1,
        })
      : pglite({ dataDir: embeddedDataDir(options.dataDir), schema: options.schema });
  // Logs go to stderr, as every command's do: stdout is the result (--json).
  const logger = cliLogger({ json: false, level: logLevel('warn'), out: process.stderr });
  const provider = await factory.open({ logger });
  try {
    return provider.migration as MigrationResult;
  } finally {
    await provider.close();
  }
}

export function migrateCommand(program: Command): void {
  const command = program
    .command('migrate')
    .description('apply pending database migrations (every server and client also does on open)')
    .option('--json', 'print JSON');
  addDatabaseOptions(command).action(async (options: MigrateOptions) => {
    const target =
      options.databaseUrl !== undefined
        ? { provider: 'postgres', schema: options.schema }
        : { provider: 'pglite', schema: options.schema, dataDir: embeddedDataDir(options.dataDir) };
    const server =
      options.databaseUrl === undefined ? await findLiveServer(options.dataDir) : undefined;
    if (server !== undefined) {
      if (options.json) printJson({ ...target, applied: [], server: server.url });
      else
        note(
          `the server at ${server.url} (pid ${server.pid}) holds ${target.dataDir} and migrated it when it started`,
        );
      return;
    }
    const result = await applyMigrations(options);
    if (options.json) return printJson({ ...target, ...result });
    const where = `${target.provider} schema ${target.schema}${target.dataDir ? ` in ${target.dataDir}` : ''}`;
    if (result.applied.length === 0) print(`${where} is up to date (migration ${result.current})`);
    else
      print(`${where}: applied ${result.applied.join(', ')}; now at migration ${result.current}`);
  });
}
