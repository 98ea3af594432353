import pg from 'pg';
import type { Database, HeldSession, Row, SqlExecutor, TransactionExecutor } from './database.js';
import { sessionIdentity } from './session-identity.js';

/**
 * PostgreSQL through one `pg` client the caller owns: every statement,
 * transaction and the LISTEN share that one session, taking turns. Give
 * millrace a client of its own: statements of yours on it could land inside
 * a transaction of millrace's, and the other way round.
 */
export class PgClientDatabase implements Database {
  readonly kind = 'postgres' as const;
  private turn: Promise<unknown> = Promise.resolve();

  constructor(private readonly client: pg.ClientBase) {}

  query<R extends Row = Row>(text: string, params?: readonly unknown[]): Promise<R[]> {
    return this.exclusive(() => this.raw.query<R>(text, params));
  }

  exec(text: string): Promise<void> {
    return this.exclusive(async () => {
      await this.client.query(text);
    });
  }

  transaction<T>(fn: (tx: TransactionExecutor) => Promise<T>): Promise<T> {
    return this.exclusive(async () => {
      await this.client.query('BEGIN');
      try {
        const result = await fn({ ...this.raw, raw: this.client });
        await this.client.query('COMMIT');
        return result;
      } catch (error) {
        await this.client.query('ROLLBACK').catch(() => undefined);
        throw error;
      }
    });
  }

  session<T>(
    fn: (session: SqlExecutor & { exec(text: string): Promise<void> }) => Promise<T>,
  ): Promise<T> {
    return this.exclusive(() =>
      fn({
        ...this.raw,
        exec: async (text) => {
          await this.client.query(text);
        },
      }),
    );
  }

  /** The one client is the session: its backend is this process's identity. */
  async holdSession(): Promise<HeldSession> {
    const identity = await this.exclusive(() => sessionIdentity(this.raw));
    const lost = new Promise<void>((resolve) => {
      this.client.once('end', () => resolve());
      this.client.once('error', () => resolve());
    });
    return {
      identity,
      lost,
      query: (text, params) => this.query(text, params),
      close: () => Promise.resolve(),
    };
  }

  async listen(
    channel: string,
    onPayload: (payload: string) => void,
    _onReset: () => void,
  ): Promise<() => Promise<void>> {
    const onNotification = (message: pg.Notification) => {
      if (message.channel === channel) onPayload(message.payload ?? '');
    };
    this.client.on('notification', onNotification);
    await this.exec(`LISTEN ${pg.escapeIdentifier(channel)}`);
    return async () => {
      this.client.off('notification', onNotification);
      await this.exec(`UNLISTEN ${pg.escapeIdentifier(channel)}`).catch(() => undefined);
    };
  }

  /** The caller owns the client and closes it. */
  async close(): Promise<void> {
    await this.turn.catch(() => undefined);
  }

  /** The client itself, for use inside a turn. */
  private get raw(): SqlExecutor {
    return {
      query: async <R extends Row = Row>(text: string, params?: readonly unknown[]) =>
        (await this.client.query<R>(text, params as unknown[] | undefined)).rows,
    };
  }

  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.turn.then(fn);
    this.turn = run.catch(() => undefined);
    return run;
  }
}
