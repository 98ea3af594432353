/**
 * Every key the provider writes, in one place. Keys that one script touches
 * together share a hash tag (the part in braces), so on a cluster they sit in
 * one slot and no script meets CROSSSLOT:
 * - `{<prefix>}:...`: the namespace's own records (categories, consumers,
 *   API keys, leases, the schedule of delayed events);
 * - `{<prefix>:l:<category>:<partition>}:...`: one partition of a category:
 *   its Redis stream (`log`), its streams' versions (`heads`) and the ids of
 *   its events (`ids`, for duplicate ids and retried publishes). Partitions
 *   spread across slots;
 * - `{<prefix>:c:<consumer>}:...`: one consumer: its generation and the
 *   allocator's term (`meta`), its members, who owns each partition
 *   (`owners`), its positions and its delivery records, so a commit is
 *   fenced by the assignment in the same script.
 * Names reach here validated (categories and consumers have no braces or
 * colons; the prefix neither).
 */
export interface PartitionKeys {
  readonly log: string;
  readonly heads: string;
  readonly ids: string;
}

export interface ConsumerKeys {
  readonly meta: string;
  readonly members: string;
  readonly owners: string;
  readonly positions: string;
  readonly deliveries: string;
}

export class RedisKeys {
  constructor(readonly prefix: string) {}

  private get namespace(): string {
    return `{${this.prefix}}`;
  }

  /** category → its partition count, fixed when the category is first met. */
  get categories(): string {
    return `${this.namespace}:categories`;
  }

  /** consumer name → its registry record (JSON). */
  get consumers(): string {
    return `${this.namespace}:consumers`;
  }

  /** API key id → its record (JSON, the secret hashed). */
  get apiKeys(): string {
    return `${this.namespace}:api-keys`;
  }

  /** A leader lease (`allocator`, `scheduler`), and the counter of its terms. */
  lease(name: string): { readonly lease: string; readonly terms: string } {
    return { lease: `${this.namespace}:lease:${name}`, terms: `${this.namespace}:terms` };
  }

  /** Where publishes are announced, so idle readers wake (one channel per namespace). */
  get wakeChannel(): string {
    return `${this.namespace}:wake`;
  }

  /**
   * Where changes of membership and allocation are announced (the consumer's
   * name, or `*` for every consumer), so members re-read their assignment and
   * the leader rebalances at once (one channel per namespace).
   */
  get membersChannel(): string {
    return `${this.namespace}:members`;
  }

  /**
   * Delayed events waiting for their time (see redis-scheduled.ts): a sorted
   * set whose members all have score 0, so it is ordered by the member
   * itself, `<deliverAt ms, 16 digits>:<schedule order, 19 digits>:<id>`:
   * delivery order, ties in schedule order, which a score (a double) could
   * not hold for the whole range of a Date.
   */
  get scheduled(): string {
    return `${this.namespace}:scheduled:queue`;
  }

  /** The same members as `scheduled`, one stream's only (a listing by stream). */
  scheduledOfStream(stream: string): string {
    return `${this.namespace}:scheduled:stream:${stream}`;
  }

  /** Event id → the scheduled event (JSON: its member, when it was scheduled, the event). */
  get scheduledEvents(): string {
    return `${this.namespace}:scheduled:events`;
  }

  /** The members a delivery took and has not finished (appended, not yet removed). */
  get scheduledClaimed(): string {
    return `${this.namespace}:scheduled:claimed`;
  }

  /** The counter of schedule order, which breaks ties between equal `deliverAt`. */
  get scheduledSeq(): string {
    return `${this.namespace}:scheduled:seq`;
  }

  /** Where a newly scheduled batch's earliest `deliverAt` is announced, so the scheduler wakes. */
  get scheduledChannel(): string {
    return `${this.namespace}:scheduled`;
  }

  partition(category: string, partition: number): PartitionKeys {
    const tag = `{${this.prefix}:l:${category}:${partition}}`;
    return { log: `${tag}:log`, heads: `${tag}:heads`, ids: `${tag}:ids` };
  }

  consumer(name: string): ConsumerKeys {
    const tag = `{${this.prefix}:c:${name}}`;
    return {
      meta: `${tag}:meta`,
      members: `${tag}:members`,
      owners: `${tag}:owners`,
      positions: `${tag}:positions`,
      deliveries: `${tag}:deliveries`,
    };
  }
}
