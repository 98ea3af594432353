/**
 * The PostgreSQL work provider: one implementation for a real server (`pg`)
 * and for embedded PGlite; only the Database underneath differs.
 */
import {
  resolveAllocatorTiming,
  type AllocatorTimingOptions,
} from '../../core/kit/allocation/allocator-timing.js';
import type {
  Provider,
  ProviderCapabilities,
  ProviderFactory,
} from '../../core/contracts/provider.js';
import { AllocatedMembership } from '../../core/kit/membership/allocated-membership.js';
import type { DelayedEvents } from '../../core/contracts/scheduled.js';
import { LogPruner } from '../../core/kit/retention/log-pruner.js';
import { ValidationError } from '../../core/errors.js';
import { randomBytes, randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type pg from 'pg';
import type { PGlite, Transaction as PGliteTransaction } from '@electric-sql/pglite';
import type { Logger } from '../../core/logger.js';
import type { Database } from './database.js';
import { translated } from './errors.js';
import { migrate, type MigrationResult } from './migrate.js';
import { PgLog } from './pg-log.js';
import { PgNotifier } from './pg-notifier.js';
import { PgDeliveries } from './pg-deliveries.js';
import { PgPositions } from './pg-positions.js';
import { PgRegistry } from './pg-registry.js';
import { PgKeys } from './pg-keys.js';
import { PgMemberDirectory } from './pg-member-directory.js';
import { PgScheduledEvents, SCHEDULER_LEASE } from './pg-scheduled.js';
import { PgPrunableLog } from './pg-retention.js';
import { PgWakeups } from './pg-wakeups.js';
import { ALLOCATOR_LEASE, PgMembershipStore } from './pg-membership-store.js';
import { ProcessSession } from './process-session.js';
import { LeaseElector } from './lease-elector.js';
import { SessionLockElector } from './session-lock-elector.js';
import { QueryBook, sqlNames } from './sql.js';
import type { NamedLeases } from '../../core/contracts/elector.js';
import { namedLease } from '../../core/kit/election/named-lease.js';

export const POSTGRES_CAPABILITIES: ProviderCapabilities = {
  optimisticConcurrency: true,
  transactionalPublish: true,
  transactionalHandling: true,
  globalOrder: true,
  wakeups: true,
  sequences: ['log', 'category', 'stream'],
  allocation: 'millrace',
  maxPartitions: 1024,
  delayedEvents: true,
};

/** What opening needs beyond the user's options. */
interface OpenOptions {
  readonly coordination?: Coordination;
  /** Where membership and allocation warnings go. @defaultValue millrace's default logger */
  readonly logger?: Logger;
}

export interface SchemaOptions extends AllocatorTimingOptions {
  /** Where millrace's tables live; a lower-case SQL identifier. @defaultValue 'millrace' */
  schema?: string;
  /** Apply pending migrations on open. @defaultValue true */
  migrate?: boolean;
}

/** How the processes sharing a schema coordinate. */
export type Coordination =
  /** Session advisory locks, and members' sessions watched so a killed process is noticed at once. */
  | 'session'
  /** Leases and heartbeats only: behind a transaction pooler (PgBouncer), where sessions are not a process's own. */
  | 'lease';

export interface PostgresOptions extends SchemaOptions {
  /** e.g. `postgres://user@127.0.0.1:5432/app`. */
  connectionString?: string;
  /** A `pg` Pool you own and close; millrace borrows connections from it. */
  pool?: pg.Pool;
  /**
   * One connected `pg` client you own and close, used by millrace alone:
   * every statement, transaction and the LISTEN take turns on it.
   */
  client?: pg.ClientBase;
  /** Size of the pool millrace creates from `connectionString`. @defaultValue 10 */
  maxConnections?: number;
  /** @defaultValue 'session' */
  coordination?: Coordination;
}

export interface PgliteOptions extends SchemaOptions {
  /** A directory to keep the data in; omit for memory only. */
  dataDir?: string;
  /** A PGlite instance you own and close. */
  db?: PGlite;
}

/** `Transaction`: a `pg` client inside BEGIN (`postgres()`) or a PGlite transaction (`pglite()`). */
export class PostgresProvider<Transaction = unknown> implements Provider<Transaction> {
  declare readonly transactionType?: Transaction;
  readonly capabilities = POSTGRES_CAPABILITIES;
  readonly log: PgLog;
  readonly positions: PgPositions<Transaction>;
  readonly deliveries: PgDeliveries;
  readonly registry: PgRegistry;
  readonly keys: PgKeys;
  readonly httpMembers: PgMemberDirectory;
  readonly wakeups: PgWakeups;
  readonly membership: AllocatedMembership<Transaction>;
  readonly members: PgMembershipStore;
  readonly delayed: DelayedEvents;
  readonly retention: LogPruner;
  readonly leases: NamedLeases;
  readonly book: QueryBook;
  /** What opening the provider migrated (undefined with `migrate: false`). */
  migration: MigrationResult | undefined;
  private readonly notifier: PgNotifier;
  private readonly session: ProcessSession;

  constructor(
    readonly db: Database,
    options: SchemaOptions & OpenOptions,
  ) {
    this.book = new QueryBook(sqlNames(options.schema ?? 'millrace'));
    const origin = randomBytes(6).toString('base64url');
    this.notifier = new PgNotifier(db, this.book, origin);
    this.wakeups = new PgWakeups(db, this.book.names.channel, origin);
    this.log = new PgLog(db, this.book, this.notifier, this.wakeups);
    this.positions = new PgPositions(db, this.book);
    this.deliveries = new PgDeliveries(db, this.book);
    this.registry = new PgRegistry(db, this.book);
    this.keys = new PgKeys(db, this.book);
    this.httpMembers = new PgMemberDirectory(db, this.book);
    this.retention = new LogPruner({
      log: this.log,
      registry: this.registry,
      positions: this.positions,
      prunable: new PgPrunableLog(db, this.book),
    });
    this.session = new ProcessSession(db);
    const coordination = db.kind === 'pglite' ? 'lease' : (options.coordination ?? 'session');
    this.members = new PgMembershipStore(
      db,
      this.book,
      coordination === 'session' ? this.session : undefined,
    );
    const { allocatorTickMs: tickMs, leaderTimeoutMs } = resolveAllocatorTiming(
      options,
      'postgres',
    );
    const electorOptions = {
      holder: `${hostname()}:${process.pid}:${origin}`,
      host: hostname(),
      pid: process.pid,
      ttlMs: leaderTimeoutMs,
      intervalMs: tickMs,
      lease: ALLOCATOR_LEASE,
    };
    const elector =
      coordination === 'session'
        ? new SessionLockElector(db, this.book, electorOptions, this.session)
        : new LeaseElector(db, this.book, electorOptions);
    this.membership = new AllocatedMembership(this.members, this.positions, elector, {
      tickMs,
      logger: options.logger,
    });
    // A lease row alone: a named lease's work (the bridge) is fenced where it writes, not by a session.
    this.leases = {
      elector: (name, timing) =>
        new LeaseElector(db, this.book, {
          ...electorOptions,
          ...timing,
          holder: `${electorOptions.holder}:${randomUUID().slice(0, 8)}`,
          lease: namedLease(name),
          announceResign: false,
        }),
    };
    this.delayed = {
      store: new PgScheduledEvents(db, this.book, this.log),
      // A lease alone, in every coordination mode: delivering needs no session to watch.
      createElector: () =>
        new LeaseElector(db, this.book, {
          ...electorOptions,
          lease: SCHEDULER_LEASE,
          announceResign: false,
        }),
    };
  }

  get kind(): string {
    return this.db.kind;
  }

  static async open<Transaction>(
    db: Database,
    options: SchemaOptions & OpenOptions,
  ): Promise<PostgresProvider<Transaction>> {
    const provider = new PostgresProvider<Transaction>(db, options);
    try {
      if (options.migrate !== false) {
        provider.migration = await translated(() =>
          migrate(db, provider.book.names, options.logger),
        );
      }
      await translated(() => provider.keepPositionsAhead());
    } catch (error) {
      await db.close();
      throw error;
    }
    return provider;
  }

  /** New positions must sort after every stored one; usually they already do. */
  private async keepPositionsAhead(): Promise<void> {
    const [check] = await this.db.query<{ ahead: boolean }>(this.book.get('positions_ahead'));
    if (check?.ahead !== true) await this.db.query(this.book.get('keep_positions_ahead'));
  }

  async close(): Promise<void> {
    await this.membership.close();
    await this.session.close();
    await this.notifier.flush();
    await this.db.close();
  }
}

/** A real PostgreSQL server. */
export function postgres(
  options: PostgresOptions,
): ProviderFactory<PostgresProvider<pg.ClientBase>> {
  sqlNames(options.schema ?? 'millrace');
  resolveAllocatorTiming(options, 'postgres');
  const given = [options.connectionString, options.pool, options.client].filter(
    (o) => o !== undefined,
  );
  if (given.length !== 1) {
    throw new ValidationError('postgres() needs exactly one of connectionString, pool or client', {
      reason: 'invalid_option',
    });
  }
  return {
    kind: 'postgres',
    // The client (pg) loads on open: an embedded database never needs it.
    open: async (context) => {
      const db = options.client
        ? new (await import('./pg-client-database.js')).PgClientDatabase(options.client)
        : new (await import('./pg-database.js')).PgDatabase(options);
      return PostgresProvider.open(db, { ...options, logger: context?.logger });
    },
  };
}

/** Embedded PostgreSQL (PGlite): in memory, or in a directory. No server to run. */
export function pglite(
  options: PgliteOptions = {},
): ProviderFactory<PostgresProvider<PGliteTransaction>> {
  sqlNames(options.schema ?? 'millrace');
  resolveAllocatorTiming(options, 'pglite');
  return {
    kind: 'pglite',
    // Loaded on open: an application on a PostgreSQL server never loads PGlite.
    open: async (context) => {
      const { PgliteDatabase } = await import('./pglite-database.js');
      const db = await PgliteDatabase.open({
        db: options.db,
        dataDir: options.dataDir,
        // A new data directory may start already migrated, but only when migrating was asked for.
        migratedSchema: options.migrate === false ? undefined : (options.schema ?? 'millrace'),
        logger: context?.logger,
      });
      return PostgresProvider.open(db, { ...options, logger: context?.logger });
    },
  };
}
