/**
 * The history table: one row per handling, written by member processes from
 * inside their handler as the handling's last step (so a row's insertion is
 * the handling's end), read back by the failover tests and given to the
 * history checker. It lives in the test's own schema, so it goes when the
 * schema is dropped.
 */
import type pg from 'pg';

/** One handling of one event, as the checker sees it. */
export interface Handling {
  /** Insertion order across all processes (a sequence): what "first" means. */
  readonly seq: number;
  readonly eventId: string;
  readonly stream: string;
  readonly version: number;
  readonly position: string;
  readonly partition: number;
  readonly generation: number;
  readonly member: string;
  readonly pid: number;
  /** When the handler was entered, epoch ms on the member's clock (the machine's). */
  readonly startedAt: number;
  /** The process's own count of starts and refusals when it began: orders it against a refusal exactly. */
  readonly tick: number;
  /** When its row went in, epoch ms on the database's clock (the same machine's): the handling's end. */
  readonly finishedAt: number;
}

const table = (schema: string) => `"${schema}".history`;

export function createHistoryTable(client: pg.ClientBase | pg.Pool, schema: string) {
  return client.query(`
    CREATE TABLE IF NOT EXISTS ${table(schema)} (
      seq         bigserial PRIMARY KEY,
      event_id    text             NOT NULL,
      stream      text             NOT NULL,
      version     integer          NOT NULL,
      position    bigint           NOT NULL,
      partition   integer          NOT NULL,
      generation  bigint           NOT NULL,
      member      text             NOT NULL,
      pid         integer          NOT NULL,
      started_at  double precision NOT NULL,
      tick        bigint           NOT NULL,
      finished_at double precision NOT NULL DEFAULT extract(epoch FROM clock_timestamp()) * 1000
    )`);
}

/** $1 event id, $2 stream, $3 version, $4 position, $5 partition, $6 generation, $7 member, $8 pid, $9 started at (epoch ms), $10 tick. */
export const insertHandlingSql = (schema: string) =>
  `INSERT INTO ${table(schema)}
     (event_id, stream, version, position, partition, generation, member, pid, started_at, tick)
   VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`;

export async function readHistory(client: pg.ClientBase | pg.Pool, schema: string) {
  const { rows } = await client.query<{
    seq: string;
    event_id: string;
    stream: string;
    version: number;
    position: string;
    partition: number;
    generation: string;
    member: string;
    pid: number;
    started_at: number;
    tick: string;
    finished_at: number;
  }>(`SELECT * FROM ${table(schema)} ORDER BY seq`);
  return rows.map((row): Handling => ({
    seq: Number(row.seq),
    eventId: row.event_id,
    stream: row.stream,
    version: row.version,
    position: row.position,
    partition: row.partition,
    generation: Number(row.generation),
    member: row.member,
    pid: row.pid,
    startedAt: row.started_at,
    tick: Number(row.tick),
    finishedAt: row.finished_at,
  }));
}

/** How many distinct events were handled so far. */
export async function countHandledEvents(
  client: pg.ClientBase | pg.Pool,
  schema: string,
): Promise<number> {
  const { rows } = await client.query<{ n: string }>(
    `SELECT count(DISTINCT event_id) AS n FROM ${table(schema)}`,
  );
  return Number(rows[0]?.n ?? 0);
}
