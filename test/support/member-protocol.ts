/**
 * What a member process (member-process.ts) and its parent say to each
 * other: its flags, and the JSON lines it writes on stdout.
 */

export type MemberLine =
  /** The provider is open; with `start: 'stdin'` it waits for a `start` line. */
  | { type: 'open'; pid: number }
  /** The member started and applied its first assignment. */
  | { type: 'ready'; pid: number; member: string }
  | { type: 'assigned'; at: number; generation: number; partitions: number[] }
  /** The first handling under a (partition, generation): when a grant starts moving. */
  | { type: 'first'; at: number; partition: number; generation: number }
  /** Commits were refused; from `at` on, nothing more may start on them under those generations. */
  | {
      type: 'refused';
      at: number;
      /** The process's count of starts and refusals (see history.ts `tick`). */
      tick: number;
      refused: { partition: number; generation: number }[];
    }
  /** Every 100 ms while handling: events handled so far, and when the last one finished. */
  | { type: 'progress'; handled: number; lastAt: number }
  | { type: 'stopped' };

/** Prefix of the application_name of a member process's millrace connections; its pid follows. */
export const MEMBER_APPLICATION = 'millrace-member-';

export interface MemberOptions {
  readonly databaseUrl: string;
  readonly schema: string;
  /** @defaultValue 'chaos' */
  readonly consumer?: string;
  /** @defaultValue 'item' */
  readonly category?: string;
  /** @defaultValue 8 */
  readonly partitions?: number;
  /** @defaultValue 2000 */
  readonly sessionTimeoutMs?: number;
  /** @defaultValue 'session' */
  readonly coordination?: 'session' | 'lease';
  /** `history`: record every handling; `sleep`: 1 ms of I/O, nothing recorded. @defaultValue 'history' */
  readonly mode?: 'history' | 'sleep';
  /** `stdin`: open, then wait for a `start` line. @defaultValue 'now' */
  readonly start?: 'now' | 'stdin';
  /** Handlers the member runs at once. @defaultValue one per partition */
  readonly concurrency?: number;
  /** millrace's pool size in the member. @defaultValue 4 */
  readonly maxConnections?: number;
}

export function memberArgs(options: MemberOptions): string[] {
  const flags: [string, string | number | undefined][] = [
    ['database-url', options.databaseUrl],
    ['schema', options.schema],
    ['consumer', options.consumer],
    ['category', options.category],
    ['partitions', options.partitions],
    ['session-timeout-ms', options.sessionTimeoutMs],
    ['coordination', options.coordination],
    ['mode', options.mode],
    ['start', options.start],
    ['max-connections', options.maxConnections],
    ['concurrency', options.concurrency],
  ];
  return flags.flatMap(([name, value]) => (value === undefined ? [] : [`--${name}`, `${value}`]));
}
