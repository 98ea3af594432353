/**
 * Renders the compiled .sql files for one schema. The files use psql's
 * variable syntax, so each also runs as-is under `psql -v schema=...`:
 * `:"schema"` (identifier), `:'schema'` and `:'channel'` (literals), and
 * `:partitions` (an integer). Only validated names and integers are spliced;
 * every value goes as a parameter.
 */
import { validateSchemaName } from '../../core/names.js';
import { queries, type QueryName } from './sql/generated.js';

export interface SqlNames {
  readonly schema: string;
  /** The NOTIFY channel publishers signal on. */
  readonly channel: string;
  /** The NOTIFY channel for membership and allocation changes. */
  readonly membersChannel: string;
  /** The NOTIFY channel that wakes the scheduler of delayed events. */
  readonly scheduledChannel: string;
}

export function sqlNames(schema: string): SqlNames {
  validateSchemaName(schema);
  return {
    schema,
    channel: `${schema}_events`,
    membersChannel: `${schema}_members`,
    scheduledChannel: `${schema}_scheduled`,
  };
}

export function renderSql(text: string, names: SqlNames, partitions?: number): string {
  return text
    .replaceAll(':"schema"', `"${names.schema}"`)
    .replaceAll(":'schema'", `'${names.schema}'`)
    .replaceAll(":'channel'", `'${names.channel}'`)
    .replaceAll(":'members_channel'", `'${names.membersChannel}'`)
    .replaceAll(":'scheduled_channel'", `'${names.scheduledChannel}'`)
    .replace(/(?<!:):partitions\b/g, () => {
      if (partitions === undefined || !Number.isSafeInteger(partitions) || partitions < 1) {
        throw new Error('query needs a partition count');
      }
      return String(partitions);
    });
}

/** Every query rendered once for a schema; partitioned reads are rendered per partition count. */
export class QueryBook {
  private readonly rendered = new Map<string, string>();

  constructor(readonly names: SqlNames) {}

  get(name: QueryName, partitions?: number): string {
    const key = partitions === undefined ? name : `${name}/${partitions}`;
    let text = this.rendered.get(key);
    if (text === undefined) {
      text = renderSql(queries[name], this.names, partitions);
      this.rendered.set(key, text);
    }
    return text;
  }
}
