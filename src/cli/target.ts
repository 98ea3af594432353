/**
 * Which millrace a command talks to, first match wins:
 * 1. `--url` / MILLRACE_URL: a server, over HTTP;
 * 2. `--database-url` / DATABASE_URL: PostgreSQL, opened directly, or
 *    `--kafka` / MILLRACE_KAFKA: a Kafka cluster (its brokers, comma-separated), or
 *    `--redis` / MILLRACE_REDIS: a Redis server (its redis:// URL);
 * 3. a live server recorded in `<data-dir>/server.json`;
 * 4. the embedded PGlite data directory, opened directly (which fails
 *    clearly if another process holds it).
 */
import { join } from 'node:path';
import { Option, type Command } from 'commander';
import type { Logger } from '../core/logger.js';
import { Millrace, type MillraceOptions } from '../millrace.js';
import type { ProviderFactory } from '../core/contracts/provider.js';
import { kafka } from '../providers/kafka/kafka.js';
import { redis } from '../providers/redis/redis.js';
import { pglite, postgres } from '../providers/postgres/postgres-provider.js';
import type { MillraceClient } from './client/client.js';
import { DirectClient } from './client/direct-client.js';
import { HttpClient } from './client/http-client.js';
import { schemaName, serverUrl } from './arguments.js';
import { cliLogger, logLevel } from './logger.js';
import { findLiveServer } from './server-file.js';
import { withoutCredentials } from '../util/without-credentials.js';

export const DEFAULT_DATA_DIR = '.millrace';

export interface DatabaseOptions {
  databaseUrl?: string;
  /** Kafka bootstrap brokers, comma-separated. */
  kafka?: string;
  kafkaPrefix: string;
  /** A Redis server's URL. */
  redis?: string;
  redisPrefix: string;
  schema: string;
  dataDir: string;
}

export interface TargetOptions extends DatabaseOptions {
  url?: string;
  /** Sent to a server with keys in force; a database opened directly needs none. */
  apiKey?: string;
}

export function addDatabaseOptions(command: Command): Command {
  return command
    .addOption(
      new Option('--database-url <url>', 'use this PostgreSQL database').env('DATABASE_URL'),
    )
    .addOption(
      new Option(
        '--kafka <brokers>',
        'use this Kafka cluster (bootstrap host:port, comma-separated)',
      )
        .env('MILLRACE_KAFKA')
        .conflicts('databaseUrl'),
    )
    .addOption(
      new Option('--kafka-prefix <prefix>', 'the prefix of millrace topics and groups on Kafka')
        .default('millrace')
        .env('MILLRACE_KAFKA_PREFIX'),
    )
    .addOption(
      new Option('--redis <url>', 'use this Redis server (redis://host:port)')
        .env('MILLRACE_REDIS')
        .conflicts(['databaseUrl', 'kafka']),
    )
    .addOption(
      new Option('--redis-prefix <prefix>', 'the prefix of millrace keys on Redis')
        .default('millrace')
        .env('MILLRACE_REDIS_PREFIX'),
    )
    .addOption(
      new Option('--schema <name>', 'the PostgreSQL schema millrace keeps its tables in')
        .default('millrace')
        .argParser(schemaName),
    )
    .addOption(
      new Option('--data-dir <dir>', 'where the embedded database and server.json live')
        .default(DEFAULT_DATA_DIR)
        .env('MILLRACE_DATA_DIR'),
    );
}

export function addTargetOptions(command: Command): Command {
  command.addOption(
    new Option('--url <url>', 'a millrace server to talk to')
      .env('MILLRACE_URL')
      .argParser(serverUrl),
  );
  command.addOption(
    new Option('--api-key <key>', 'the API key to send to a server that has keys').env(
      'MILLRACE_API_KEY',
    ),
  );
  return addDatabaseOptions(command);
}

export function embeddedDataDir(dataDir: string): string {
  return join(dataDir, 'pgdata');
}

/**
 * Opens a direct connection: PostgreSQL with a URL, else the embedded data
 * directory. By default only warnings are logged, to stderr: stdout belongs
 * to the command's own output.
 */
export async function openMillrace(
  options: DatabaseOptions,
  logger: Logger = cliLogger({ json: false, level: logLevel('warn'), out: process.stderr }),
  retention?: MillraceOptions['retention'],
): Promise<Millrace> {
  return Millrace.open({ provider: providerOf(options), logger, retention });
}

function providerOf(options: DatabaseOptions): ProviderFactory {
  if (options.redis !== undefined)
    return redis({ url: options.redis, prefix: options.redisPrefix });
  if (options.kafka !== undefined) {
    return kafka({
      brokers: options.kafka.split(',').map((broker) => broker.trim()),
      prefix: options.kafkaPrefix,
    });
  }
  return options.databaseUrl !== undefined
    ? postgres({ connectionString: options.databaseUrl, schema: options.schema })
    : pglite({ dataDir: embeddedDataDir(options.dataDir), schema: options.schema });
}

function describeTarget(options: DatabaseOptions): string {
  if (options.redis !== undefined) {
    return `redis ${withoutCredentials(options.redis)} prefix ${options.redisPrefix}`;
  }
  if (options.kafka !== undefined) return `kafka ${options.kafka} prefix ${options.kafkaPrefix}`;
  return options.databaseUrl !== undefined
    ? `postgres schema ${options.schema}`
    : `pglite ${embeddedDataDir(options.dataDir)}`;
}

export async function openClient(options: TargetOptions): Promise<MillraceClient> {
  if (options.url !== undefined) return new HttpClient(options.url, options.apiKey);
  if (
    options.databaseUrl === undefined &&
    options.kafka === undefined &&
    options.redis === undefined
  ) {
    const server = await findLiveServer(options.dataDir);
    if (server !== undefined) return new HttpClient(server.url, options.apiKey);
  }
  const millrace = await openMillrace(options);
  return new DirectClient(millrace, describeTarget(options));
}

/** Runs `fn` with a client and closes it afterwards, whatever happens. */
export async function withClient<T>(
  options: TargetOptions,
  fn: (client: MillraceClient) => Promise<T>,
): Promise<T> {
  const client = await openClient(options);
  try {
    return await fn(client);
  } finally {
    await client.close();
  }
}
