/**
 * What tests and benchmarks read of competing members straight from the
 * database: who owns which partition, which backend is a member process's
 * session, which of its backends are busy, and which process leads.
 */
import type pg from 'pg';
import { MEMBER_APPLICATION } from './member-protocol.js';

export interface AssignmentRow {
  readonly partition: number;
  /** null: free. */
  readonly member: string | null;
  readonly generation: number;
  readonly revoking: boolean;
}

export async function readAssignments(
  db: pg.Pool,
  schema: string,
  consumer: string,
): Promise<AssignmentRow[]> {
  const { rows } = await db.query<{
    partition: number;
    member_id: string | null;
    generation: string;
    revoking: boolean;
  }>(
    `SELECT partition, member_id, generation, revoking FROM "${schema}".assignments
     WHERE consumer = $1 ORDER BY partition`,
    [consumer],
  );
  return rows.map((r) => ({
    partition: r.partition,
    member: r.member_id,
    generation: Number(r.generation),
    revoking: r.revoking,
  }));
}

/** The backend of a member process's own session (members.session_pid), if it has joined. */
export async function sessionBackend(
  db: pg.Pool,
  schema: string,
  processPid: number,
): Promise<number | undefined> {
  const { rows } = await db.query<{ session_pid: number | null }>(
    `SELECT session_pid FROM "${schema}".members WHERE pid = $1`,
    [processPid],
  );
  return rows[0]?.session_pid ?? undefined;
}

/** A member process's millrace backends that are running a statement or inside a transaction. */
export async function busyBackends(db: pg.Pool, processPid: number): Promise<number[]> {
  const { rows } = await db.query<{ pid: number }>(
    `SELECT pid FROM pg_stat_activity
     WHERE application_name = $1 AND state IS DISTINCT FROM 'idle' AND pid <> pg_backend_pid()`,
    [`${MEMBER_APPLICATION}${processPid}`],
  );
  return rows.map((r) => r.pid);
}

export async function terminateBackend(db: pg.Pool, backendPid: number): Promise<boolean> {
  const { rows } = await db.query<{ ended: boolean }>('SELECT pg_terminate_backend($1) AS ended', [
    backendPid,
  ]);
  return rows[0]?.ended === true;
}

/** The process leading the allocator now, by its lease. */
export async function leaderProcess(db: pg.Pool, schema: string): Promise<number | undefined> {
  const { rows } = await db.query<{ pid: number }>(
    `SELECT pid FROM "${schema}".leases WHERE name = 'allocator' AND expires_at > now()`,
  );
  return rows[0]?.pid;
}
