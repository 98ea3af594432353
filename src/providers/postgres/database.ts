/**
 * The one seam between the PostgreSQL provider and a driver: run a statement,
 * run a transaction, listen for notifications. `pg` (a real server) and PGlite
 * (embedded) both sit behind it, so the same SQL runs on each.
 */
export type Row = Record<string, unknown>;

export interface SqlExecutor {
  query<R extends Row = Row>(text: string, params?: readonly unknown[]): Promise<R[]>;
}

/** A transaction's executor, with the driver's own object for it (for a handler's writes). */
export interface TransactionExecutor extends SqlExecutor {
  /** The `pg` client inside BEGIN, or the PGlite transaction. */
  readonly raw: unknown;
}

/** What a caller may pass as "my transaction": a `pg` client or a PGlite transaction. */
export interface QueryableLike {
  query(text: string, params?: unknown[]): Promise<{ rows: unknown[] }>;
}

/** Which server backend a held session is, as pg_stat_activity knows it. */
export interface SessionIdentity {
  readonly pid: number;
  /** backend_start, exactly, as text. */
  readonly started: string;
}

/**
 * A connection held for the life of a process: session advisory locks live
 * on it, and its backend is how other processes see this one die (the
 * server ends the backend the moment the connection drops).
 */
export interface HeldSession extends SqlExecutor {
  /** undefined where the server cannot tell sessions apart (PGlite). */
  readonly identity: SessionIdentity | undefined;
  /** Resolves when the connection is lost (never, for PGlite). */
  readonly lost: Promise<void>;
  close(): Promise<void>;
}

export interface Database extends SqlExecutor {
  readonly kind: 'postgres' | 'pglite';
  /** Several statements, no parameters (migrations). */
  exec(text: string): Promise<void>;
  transaction<T>(fn: (tx: TransactionExecutor) => Promise<T>): Promise<T>;
  /** One database session for the whole callback (session-level locks, DDL outside a transaction). */
  session<T>(
    fn: (session: SqlExecutor & { exec(text: string): Promise<void> }) => Promise<T>,
  ): Promise<T>;
  /** Opens a session held until closed (see HeldSession). */
  holdSession(): Promise<HeldSession>;
  /** Resolves once listening; the returned function stops. `onReset` runs after a reconnect, when notifications may have been missed. */
  listen(
    channel: string,
    onPayload: (payload: string) => void,
    onReset: () => void,
  ): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

/** Wraps a caller's client so provider code can use it like any executor. */
export function executorOf(client: QueryableLike): SqlExecutor {
  return {
    async query<R extends Row = Row>(text: string, params?: readonly unknown[]): Promise<R[]> {
      const result = await client.query(text, params === undefined ? undefined : [...params]);
      return result.rows as R[];
    },
  };
}

export function isQueryableLike(value: unknown): value is QueryableLike {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { query?: unknown }).query === 'function'
  );
}
