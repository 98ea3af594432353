/**
 * What the peer benchmark needs of every system it measures, millrace and
 * its peers alike: bulk and single enqueues, workers with a given
 * concurrency, and a fresh place of its own (schema, database, Redis DB,
 * topic prefix) that a worker process can attach to by a description.
 */

/** One job: its number in the run, and when it was enqueued (machineMs in tally.ts, for latency). */
export interface Job {
  readonly n: number;
  readonly sentAt?: number;
}

export type JobHandler = (job: Job) => void | Promise<void>;

/** Where one run of one system lives; plain strings, so it can go to a worker process as JSON. */
export type Place = Readonly<Record<string, string>>;

/** One system, opened on one place, in one process. */
export interface PeerSystem {
  /** Enqueues the jobs with the system's own bulk API, in one call. */
  enqueueBulk(jobs: readonly Job[]): Promise<void>;
  /** Enqueues one job, durably, before resolving. */
  enqueue(job: Job): Promise<void>;
  /**
   * Starts workers in this process that run up to `concurrency` handlers at
   * once; resolves once they are working. Returns a function that stops them.
   */
  work(concurrency: number, handler: JobHandler): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

export interface SystemKind {
  /** As printed in the tables and given to `--only`: `millrace-postgres`, `pg-boss`, ... */
  readonly name: string;
  /** Runs in one process only (embedded PGlite): workers run beside the enqueuer. */
  readonly embedded: boolean;
  /**
   * How it is configured: every option set away from its default, each with
   * the documentation that recommends it. Printed under the tables.
   */
  readonly configuration: string;
  /** Makes a fresh place and installs the system there (schema, queue, topic). */
  create(): Promise<Place>;
  open(place: Place): Promise<PeerSystem>;
  /** Removes the place and everything in it. */
  destroy(place: Place): Promise<void>;
}
