import pg from 'pg';
import type { Database, HeldSession, Row, SqlExecutor, TransactionExecutor } from './database.js';
import { PgListener } from './pg-listener.js';
import { sessionIdentity } from './session-identity.js';

const { Pool } = pg;

export interface PgDatabaseOptions {
  /** A pool the caller owns (and closes), or a connection string for a pool millrace owns. */
  pool?: pg.Pool;
  connectionString?: string;
  /** Size of the pool millrace creates; ignored with `pool`. @defaultValue 10 */
  maxConnections?: number;
}

/** A real PostgreSQL server through a `pg` Pool. */
export class PgDatabase implements Database {
  readonly kind = 'postgres' as const;
  readonly pool: pg.Pool;
  private readonly ownsPool: boolean;
  private readonly listener: PgListener;
  private closed = false;

  constructor(options: PgDatabaseOptions) {
    if (options.pool) {
      this.pool = options.pool;
      this.ownsPool = false;
    } else {
      this.pool = new Pool({
        connectionString: options.connectionString,
        max: options.maxConnections ?? 10,
      });
      this.ownsPool = true;
    }
    this.listener = new PgListener(this.pool);
    // An idle client that loses its connection emits 'error' on the pool;
    // unhandled, that would crash the process. The next query reconnects.
    if (this.ownsPool) this.pool.on('error', () => undefined);
  }

  async query<R extends Row = Row>(text: string, params?: readonly unknown[]): Promise<R[]> {
    const result = await this.pool.query<R>(text, params as unknown[] | undefined);
    return result.rows;
  }

  async exec(text: string): Promise<void> {
    await this.pool.query(text);
  }

  async transaction<T>(fn: (tx: TransactionExecutor) => Promise<T>): Promise<T> {
    return this.withClient(async (client) => {
      await client.query('BEGIN');
      try {
        const result = await fn({ ...clientExecutor(client), raw: client });
        await client.query('COMMIT');
        return result;
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw error;
      }
    });
  }

  async session<T>(
    fn: (session: SqlExecutor & { exec(text: string): Promise<void> }) => Promise<T>,
  ): Promise<T> {
    return this.withClient((client) =>
      fn({
        ...clientExecutor(client),
        exec: async (text) => {
          await client.query(text);
        },
      }),
    );
  }

  async holdSession(): Promise<HeldSession> {
    const client = await this.pool.connect();
    let markLost: () => void = () => undefined;
    const lost = new Promise<void>((resolve) => {
      markLost = resolve;
    });
    let released = false;
    const release = (broken: boolean) => {
      if (released) return;
      released = true;
      client.release(broken);
    };
    client.on('error', () => {
      release(true);
      markLost();
    });
    client.on('end', markLost);
    try {
      const identity = await sessionIdentity(clientExecutor(client));
      return {
        identity,
        lost,
        ...clientExecutor(client),
        close: () => {
          release(false);
          markLost();
          return Promise.resolve();
        },
      };
    } catch (error) {
      release(true);
      throw error;
    }
  }

  listen(
    channel: string,
    onPayload: (payload: string) => void,
    onReset: () => void,
  ): Promise<() => Promise<void>> {
    return this.listener.listen(channel, onPayload, onReset);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.listener.close();
    if (this.ownsPool) await this.pool.end();
  }

  private async withClient<T>(fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    let broken: Error | undefined;
    const onError = (error: Error) => {
      broken = error;
    };
    client.on('error', onError);
    try {
      return await fn(client);
    } finally {
      client.off('error', onError);
      client.release(broken);
    }
  }
}

function clientExecutor(client: pg.PoolClient): SqlExecutor {
  return {
    async query<R extends Row = Row>(text: string, params?: readonly unknown[]): Promise<R[]> {
      const result = await client.query<R>(text, params as unknown[] | undefined);
      return result.rows;
    },
  };
}
