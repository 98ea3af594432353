/**
 * What the database did, as it did it, for the history checker: every change
 * of a partition's owner or generation in millrace's assignments table (the
 * grant log), and every committed position (the commit log), each with the
 * time on the database's clock. Triggers in the test's own schema write
 * them, so the checker can tell when a member's grant was superseded and
 * whether an event was committed before it was handled again, without
 * trusting any member's view. They only observe: each writes to its own table.
 */
import type pg from 'pg';

export interface GrantChange {
  readonly seq: number;
  readonly partition: number;
  /** The owner from then on; null: free. */
  readonly member: string | null;
  readonly generation: number;
  /** Epoch ms, the database's clock (inside the transaction that made the change). */
  readonly at: number;
}

export interface CommitChange {
  readonly partition: number;
  /** Every event of the partition up to here is finished. */
  readonly position: bigint;
  /** Epoch ms, the database's clock. */
  readonly at: number;
}

export async function createDatabaseLog(db: pg.Pool, schema: string, consumer: string) {
  const s = `"${schema}"`;
  const ours = `NEW.consumer = '${consumer.replace(/'/g, "''")}'`;
  const now = 'extract(epoch FROM clock_timestamp()) * 1000';
  await db.query(`
    CREATE TABLE ${s}.grant_log (
      seq        bigserial        PRIMARY KEY,
      partition  integer          NOT NULL,
      member_id  text,
      generation bigint           NOT NULL,
      at         double precision NOT NULL DEFAULT ${now}
    );
    CREATE TABLE ${s}.commit_log (
      partition integer          NOT NULL,
      position  bigint           NOT NULL,
      at        double precision NOT NULL DEFAULT ${now}
    );
    CREATE FUNCTION ${s}.log_grant() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF ${ours} AND (TG_OP = 'INSERT' OR NEW.member_id IS DISTINCT FROM OLD.member_id
                      OR NEW.generation <> OLD.generation) THEN
        INSERT INTO ${s}.grant_log (partition, member_id, generation)
        VALUES (NEW.partition, NEW.member_id, NEW.generation);
      END IF;
      RETURN NEW;
    END $$;
    CREATE FUNCTION ${s}.log_commit() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF ${ours} AND NEW.position <> OLD.position THEN
        INSERT INTO ${s}.commit_log (partition, position) VALUES (NEW.partition, NEW.position);
      END IF;
      RETURN NEW;
    END $$;
    CREATE TRIGGER log_grant AFTER INSERT OR UPDATE ON ${s}.assignments
    FOR EACH ROW EXECUTE FUNCTION ${s}.log_grant();
    CREATE TRIGGER log_commit AFTER UPDATE ON ${s}.consumer_positions
    FOR EACH ROW EXECUTE FUNCTION ${s}.log_commit();`);
}

export async function readGrantLog(db: pg.Pool, schema: string): Promise<GrantChange[]> {
  const { rows } = await db.query<{
    seq: string;
    partition: number;
    member_id: string | null;
    generation: string;
    at: number;
  }>(`SELECT * FROM "${schema}".grant_log ORDER BY seq`);
  return rows.map((r) => ({
    seq: Number(r.seq),
    partition: r.partition,
    member: r.member_id,
    generation: Number(r.generation),
    at: r.at,
  }));
}

export async function readCommitLog(db: pg.Pool, schema: string): Promise<CommitChange[]> {
  const { rows } = await db.query<{ partition: number; position: string; at: number }>(
    `SELECT partition, position::text, at FROM "${schema}".commit_log ORDER BY at`,
  );
  return rows.map((r) => ({ partition: r.partition, position: BigInt(r.position), at: r.at }));
}
