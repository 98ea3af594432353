import { withoutCredentials } from '../../util/without-credentials.js';
import { shutdownSignal } from '../shutdown-signal.js';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { Option, type Command } from 'commander';
import type { Logger } from 'pino';
import type { Millrace } from '../../millrace.js';
import type * as ServerModule from '../../server/server.js';
import { isLoopbackHost } from '../../server/hosts.js';
import { holdEventLoop } from '../../util/event-loop-hold.js';
import { integer } from '../arguments.js';
import { UsageError } from '../errors.js';
import { startDemo, type Demo } from '../demo.js';
import { cliLogger, logLevel } from '../logger.js';
import { print } from '../output.js';
import { addRetainOptions, retentionOf, type RetainOptions } from '../retention-options.js';
import {
  findLiveServer,
  removeServerFile,
  serverFilePath,
  writeServerFile,
} from '../server-file.js';
import {
  addDatabaseOptions,
  DEFAULT_DATA_DIR,
  embeddedDataDir,
  openMillrace,
  type DatabaseOptions,
} from '../target.js';

interface StartOptions extends DatabaseOptions, RetainOptions {
  port: number;
  host: string;
  demo?: boolean;
  json?: boolean;
  allowedHost: string[];
  tlsCert?: string;
  tlsKey?: string;
  advertiseUrl?: string;
}

/** The certificate and key to serve HTTPS with, both or neither. */
function tlsOf(options: StartOptions): { cert: Buffer; key: Buffer } | undefined {
  if (options.tlsCert === undefined && options.tlsKey === undefined) return undefined;
  if (options.tlsCert === undefined || options.tlsKey === undefined) {
    throw new UsageError('--tls-cert and --tls-key go together: a certificate and its key');
  }
  return { cert: readFileSync(options.tlsCert), key: readFileSync(options.tlsKey) };
}

function urlOf(address: AddressInfo, host: string, tls: boolean): string {
  // A wildcard address is reachable on loopback; clients need a concrete host.
  const reachable = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : address.address;
  return `${tls ? 'https' : 'http'}://${reachable.includes(':') ? `[${reachable}]` : reachable}:${address.port}`;
}

function dataDirFlag(options: StartOptions): string {
  return options.dataDir === DEFAULT_DATA_DIR ? '' : ` --data-dir ${options.dataDir}`;
}

/** Listening beyond loopback with no key in force would let anyone who reaches it act. */
async function refuseOpenNetwork(millrace: Millrace, options: StartOptions): Promise<boolean> {
  const keys = await millrace.keys.anyActive();
  if (keys || isLoopbackHost(options.host)) return keys;
  throw new UsageError(
    `refusing to listen on ${options.host} with no API keys: anyone who reaches it could publish, read and reset consumers; ` +
      `create one first (npx millrace keys create --name admin --scope admin${dataDirFlag(options)}) or listen on 127.0.0.1`,
  );
}

function printWelcome(url: string, options: StartOptions, provider: string, keys: boolean): void {
  const flags = dataDirFlag(options);
  const where =
    options.redis !== undefined
      ? `${provider}, ${withoutCredentials(options.redis)}, keys {${options.redisPrefix}...}`
      : options.kafka !== undefined
        ? `${provider}, brokers ${options.kafka}, topics ${options.kafkaPrefix}.<category>`
        : options.databaseUrl !== undefined
          ? `PostgreSQL, schema ${options.schema}`
          : `${provider}, data in ${embeddedDataDir(options.dataDir)}`;
  const seconds = process.uptime().toFixed(1);
  const curl = keys
    ? `curl -H "Authorization: Bearer $MILLRACE_API_KEY" ${url}/v1/events`
    : `curl ${url}/v1/events`;
  const lines = [
    `millrace is listening on ${url} (${where}; started in ${seconds} s)`,
    '',
    'From another terminal in this directory:',
    `  npx millrace publish order-1 order.created '{"total":5}'${flags}`,
    `  npx millrace tail${flags}`,
    `  npx millrace consumers${flags}`,
    `  ${curl}`,
    ...(keys
      ? ['API keys are in force: set MILLRACE_API_KEY (or pass --api-key) in that terminal.']
      : []),
    'Ctrl-C stops the server.',
    '',
  ];
  // One write: whoever reads the pipe sees the welcome whole, never the first line alone.
  print(lines.join('\n'));
}

/** What the embedded database is about to do is logged by the provider; a remote one is named here. */
function announceTarget(options: StartOptions, logger: Logger): void {
  if (options.redis !== undefined) {
    logger.info({ url: withoutCredentials(options.redis) }, 'connecting to Redis');
  } else if (options.kafka !== undefined)
    logger.info({ brokers: options.kafka }, 'connecting to Kafka');
  else if (options.databaseUrl !== undefined) {
    logger.info({ schema: options.schema }, 'connecting to PostgreSQL');
  }
}

/**
 * The HTTP server's modules load while the database opens (the embedded
 * one spends part of its start off the main thread, compiling WebAssembly
 * and reading files); asked for after the open has begun, so its first
 * progress line does not wait for them.
 */
async function openWithServer(
  options: StartOptions,
  logger: Logger,
): Promise<{ millrace: Millrace; createServer: typeof ServerModule.createServer }> {
  announceTarget(options, logger);
  const opening = openMillrace(options, logger, retentionOf(options));
  const serverModule = import('../../server/server.js');
  // Reported through the await below, once the database is open (or not at all if the open fails).
  serverModule.catch(() => undefined);
  const millrace = await opening;
  try {
    const { createServer } = await serverModule;
    return { millrace, createServer };
  } catch (error) {
    await millrace.close();
    throw error;
  }
}

async function runServer(options: StartOptions): Promise<void> {
  const logger = cliLogger({
    json: options.json === true,
    level: logLevel('info'),
    out: process.stdout,
  });
  const running = await findLiveServer(options.dataDir);
  if (running !== undefined) {
    throw new Error(
      `a millrace server is already running at ${running.url} (pid ${running.pid}); see ${serverFilePath(options.dataDir)}`,
    );
  }
  // Read before the database opens: a wrong path costs no start.
  const tls = tlsOf(options);
  const stopping = shutdownSignal(logger);
  // Until the server's socket holds the loop (see holdEventLoop).
  const releaseLoop = holdEventLoop();
  const { millrace, createServer } = await openWithServer(options, logger).catch((error) => {
    releaseLoop();
    throw error;
  });
  const app = createServer({
    millrace,
    logger,
    allowedHosts: options.allowedHost,
    tls,
    advertiseUrl: options.advertiseUrl,
  });
  let demo: Demo | undefined;
  try {
    const keys = await refuseOpenNetwork(millrace, options);
    await app.listen({ port: options.port, host: options.host });
    releaseLoop();
    const url = urlOf(app.server.address() as AddressInfo, options.host, tls !== undefined);
    const provider = millrace.providerKind;
    writeServerFile(options.dataDir, {
      url,
      pid: process.pid,
      provider,
      startedAt: new Date().toISOString(),
    });
    process.once('exit', () => removeServerFile(options.dataDir));
    if (!options.json) printWelcome(url, options, provider, keys);
    if (options.demo) demo = await startDemo(millrace, logger);
    const signal = await stopping;
    logger.info({ signal }, 'stopping: draining consumers, closing the server');
  } finally {
    releaseLoop();
    await demo?.stop();
    await app.close();
    await millrace.close();
    removeServerFile(options.dataDir);
  }
  logger.info({}, 'stopped');
}

export function startCommand(program: Command): void {
  const command = program
    .command('start')
    .description('run the millrace server (embedded PGlite unless --database-url is given)')
    .addOption(
      new Option('--port <port>', 'port to listen on (0: any free port)')
        .default(7700)
        .argParser(integer(0, 65_535))
        .env('MILLRACE_PORT'),
    )
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option(
      '--allowed-host <name>',
      'a Host name to answer besides localhost ones (repeatable; given, a public address answers no other)',
      (name: string, names: string[]) => [...names, name],
      [] as string[],
    )
    .option('--tls-cert <file>', 'serve HTTPS with this PEM certificate (chain); with --tls-key')
    .option('--tls-key <file>', "the certificate's PEM private key")
    .addOption(
      new Option(
        '--advertise-url <url>',
        "this server's own URL for the servers sharing its database, which pass on calls for the HTTP members it hosts (default: the address it listens on)",
      ).env('MILLRACE_ADVERTISE_URL'),
    )
    .option('--demo', 'also publish sample order events and run two sample consumers')
    .option('--json', 'log JSON lines instead of readable lines');
  addRetainOptions(command);
  addDatabaseOptions(command).action((options: StartOptions) => runServer(options));
}
