/** What the figures were measured on, printed with every table. */
import { cpus, totalmem } from 'node:os';
import pg from 'pg';

export async function describeMachine(databaseUrl: string | undefined): Promise<string> {
  const cpu = cpus()[0]?.model.trim() ?? 'unknown CPU';
  const memory = `${Math.round(totalmem() / 2 ** 30)} GiB`;
  let postgres = 'PostgreSQL not used';
  if (databaseUrl !== undefined) {
    const client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    const { rows } = await client.query<{ version: string; sync: string; fsync: string }>(
      "SELECT split_part(version(), ' on ', 1) AS version, current_setting('synchronous_commit') AS sync, current_setting('fsync') AS fsync",
    );
    await client.end();
    const row = rows[0];
    if (row) postgres = `${row.version} (fsync ${row.fsync}, synchronous_commit ${row.sync})`;
  }
  return `${cpus().length} × ${cpu}, ${memory} RAM, Node ${process.versions.node}, ${postgres}`;
}
