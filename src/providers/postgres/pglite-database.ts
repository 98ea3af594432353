import type { PGlite } from '@electric-sql/pglite';
import { lockDataDir } from './data-dir-lock.js';
import type { Database, HeldSession, Row, SqlExecutor, TransactionExecutor } from './database.js';
import { startPglite, type PgliteStartOptions } from './pglite-start.js';

export interface PgliteDatabaseOptions extends PgliteStartOptions {
  /** An instance the caller owns (and closes). */
  db?: PGlite;
}

/**
 * Embedded PostgreSQL (WASM): one session, so statements queue behind each
 * other and a transaction holds the whole database until it ends.
 */
export class PgliteDatabase implements Database {
  readonly kind = 'pglite' as const;
  private closed = false;

  private constructor(
    readonly db: PGlite,
    private readonly ownsDb: boolean,
    private readonly unlock: () => void = () => undefined,
  ) {}

  static async open(options: PgliteDatabaseOptions = {}): Promise<PgliteDatabase> {
    if (options.db) {
      await options.db.waitReady;
      return new PgliteDatabase(options.db, false);
    }
    const dataDir = options.dataDir;
    if (dataDir === undefined || dataDir.startsWith('memory://')) {
      return new PgliteDatabase(await startPglite(options), true);
    }
    const unlock = lockDataDir(dataDir);
    try {
      return new PgliteDatabase(await startPglite(options), true, unlock);
    } catch (error) {
      unlock();
      throw error;
    }
  }

  async query<R extends Row = Row>(text: string, params?: readonly unknown[]): Promise<R[]> {
    const result = await this.db.query<R>(text, params as unknown[] | undefined);
    return result.rows;
  }

  async exec(text: string): Promise<void> {
    await this.db.exec(text);
  }

  async transaction<T>(fn: (tx: TransactionExecutor) => Promise<T>): Promise<T> {
    return this.db.transaction((tx) =>
      fn({
        raw: tx,
        async query<R extends Row = Row>(text: string, params?: readonly unknown[]): Promise<R[]> {
          const result = await tx.query<R>(text, params as unknown[] | undefined);
          return result.rows;
        },
      }),
    );
  }

  async session<T>(
    fn: (session: SqlExecutor & { exec(text: string): Promise<void> }) => Promise<T>,
  ): Promise<T> {
    // One session is all PGlite has; callers only need their statements to share it.
    return fn(this);
  }

  /** One process, one session: nothing to tell apart, nothing to lose. */
  holdSession(): Promise<HeldSession> {
    return Promise.resolve({
      identity: undefined,
      lost: new Promise<void>(() => undefined),
      query: (text, params) => this.query(text, params),
      close: () => Promise.resolve(),
    });
  }

  async listen(
    channel: string,
    onPayload: (payload: string) => void,
    _onReset: () => void,
  ): Promise<() => Promise<void>> {
    // In-process: no connection to lose, so nothing is ever missed.
    const unlisten = await this.db.listen(channel, onPayload);
    return async () => {
      if (!this.closed) await unlisten();
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      if (this.ownsDb) await this.db.close();
    } finally {
      this.unlock();
    }
  }
}
