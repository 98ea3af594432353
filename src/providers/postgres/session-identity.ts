import type { SessionIdentity, SqlExecutor } from './database.js';

/** This session's backend pid and start time, as other sessions see them in pg_stat_activity. */
export async function sessionIdentity(session: SqlExecutor): Promise<SessionIdentity> {
  // As text: a JavaScript Date would drop the microseconds other sessions compare against.
  const [row] = await session.query<{ pid: number; started: string }>(
    'SELECT pid, backend_start::text AS started FROM pg_stat_activity WHERE pid = pg_backend_pid()',
  );
  if (row === undefined) throw new Error('pg_stat_activity does not show this session');
  return { pid: row.pid, started: row.started };
}
