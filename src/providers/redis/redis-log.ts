/**
 * The log on Redis Streams: a category is split into partitions, each one
 * Redis stream, and a stream (millrace's) always lands in the same partition
 * (`globalOrder: false`: order holds per partition, as on Kafka). A publish
 * is one script per partition it touches, atomic within it; a read is an
 * index-range read (XRANGE) of one partition after a position, and when
 * nothing is there it waits on the server (XREAD BLOCK) for a while, a long
 * poll, so an idle consumer hears of a new event at once.
 */
import type {
  AppendOptions,
  CountRequest,
  LogStore,
  ReadPage,
  ReadRequest,
} from '../../core/contracts/log.js';
import { ConflictError, UnsupportedError } from '../../core/errors.js';
import type { Event, PreparedEvent, PublishedEvent } from '../../core/event.js';
import type { Position } from '../../core/position.js';
import {
  noSingleEnd,
  noSinglePositionAtTime,
  partitionOfSlice,
} from '../../core/kit/per-partition-positions.js';
import type { EventSequence } from '../../core/sequence.js';
import { subjectMatcher } from '../../core/subjects.js';
import type { RedisCategories } from './redis-categories.js';
import { asEntries, entryId, eventOfEntry, positionOfEntry } from './redis-codec.js';
import type { RedisConnection, Reply } from './redis-connection.js';
import type { PartitionKeys } from './redis-keys.js';
import { retriedOnce } from './redis-errors.js';

export class RedisLog implements LogStore<never> {
  constructor(
    private readonly connection: RedisConnection,
    private readonly categories: RedisCategories,
  ) {}

  /**
   * One script call: on one server for the whole batch, so it lands whole or
   * not at all; on a cluster one per partition it touches (a script runs on
   * one slot), in partition order, each atomic, and one refused (a version
   * conflict, a duplicate id) leaves the partitions before it written: the
   * error lists the ids that landed. A call whose answer is lost is sent
   * again, and the script answers what the first call stored rather than
   * storing twice.
   */
  async append(
    events: readonly PreparedEvent[],
    options: AppendOptions<never> = {},
  ): Promise<PublishedEvent[]> {
    if (options.transaction !== undefined) {
      throw new UnsupportedError('redis cannot publish inside a database transaction', {
        reason: 'transactional_publish_unsupported',
      });
    }
    return this.write(events, false);
  }

  /**
   * Appends delayed events as they come due (see redis-scheduled.ts), every
   * call marked as a retry from the first: a delivery taken again after one
   * cut off between its append and its removal, or raced by a deposed
   * scheduler, is answered with what was stored instead of appended twice.
   */
  appendDelivered(events: readonly PreparedEvent[]): Promise<PublishedEvent[]> {
    return this.write(events, true);
  }

  private async write(
    events: readonly PreparedEvent[],
    delivered: boolean,
  ): Promise<PublishedEvent[]> {
    if (events.length === 0) return [];
    const partitions = new Map<string, { keys: PartitionKeys; indexes: number[] }>();
    for (const [index, event] of events.entries()) {
      const partition = await this.categories.partitionOfStream(event.category, event.stream);
      const keys = this.categories.keys.partition(event.category, partition);
      const known = partitions.get(keys.log);
      if (known === undefined) partitions.set(keys.log, { keys, indexes: [index] });
      else known.indexes.push(index);
    }
    const calls =
      this.connection.options.nodes === undefined
        ? [[...partitions.values()]]
        : [...partitions.values()].map((p) => [p]);
    const prepared = calls.map((call) => {
      const keys = call.flatMap((p) => [p.keys.log, p.keys.heads, p.keys.ids]);
      const indexes = call.flatMap((p) => p.indexes);
      const args: (string | number)[] = [indexes.length];
      for (const [place, p] of call.entries()) {
        for (const index of p.indexes) {
          const event = events[index] as PreparedEvent;
          args.push(
            place,
            event.id,
            event.stream,
            event.subject,
            event.expectedVersion === null ? '' : event.expectedVersion,
            event.dataJson,
            event.metadataJson ?? '',
          );
        }
      }
      return { keys, indexes, args, batch: indexes.map((i) => events[i] as PreparedEvent) };
    });
    if (prepared.length > 1 && !delivered) {
      // Checked everywhere before anything is written: a batch refused for
      // what was known when it came (a stale version, a known id) writes
      // nothing; only a write racing it in between can leave it partial.
      for (const { keys, args, batch } of prepared) {
        answersOf(
          (await this.connection.run('append', keys, ['2', ...args])) as string[],
          batch,
          [],
        );
      }
    }
    const published = new Array<PublishedEvent>(events.length);
    const landed: string[] = [];
    for (const { keys, indexes, args, batch } of prepared) {
      const reply = (await retriedOnce((retry) =>
        this.connection.runDurably('append', keys, [retry || delivered ? '1' : '0', ...args]),
      )) as string[];
      const answers = answersOf(reply, batch, landed);
      for (const [k, index] of indexes.entries()) published[index] = answers[k] as PublishedEvent;
      landed.push(...batch.map((e) => e.id));
    }
    return published;
  }

  async read(request: ReadRequest): Promise<ReadPage> {
    const category = categoryOf(request.sequence);
    const partitions = await this.categories.partitionsOf(category);
    if (partitions === undefined)
      return {
        events: [],
        next: request.after,
        hasMore: false,
        pending: false,
        longPoll: request.wait === true,
      };
    const partition = partitionOfSlice(
      `redis category ${category}`,
      partitions,
      request.partition,
      {
        category,
      },
    );
    const { log } = this.categories.keys.partition(category, partition);
    let entries = asEntries(
      await this.connection.client.xrange(
        log,
        `(${entryId(request.after)}`,
        '+',
        'COUNT',
        request.limit,
      ),
    );
    if (entries.length === 0 && request.wait === true) {
      entries = await this.waitFor(log, request.after, request.limit);
    }
    const matches = subjectMatcher(request.subjects ?? []);
    const found: Event[] = [];
    for (const entry of entries) {
      const event = eventOfEntry(category, entry);
      if (matches(event.subject)) found.push(event);
    }
    const last = entries.at(-1);
    return {
      events: found,
      next: last === undefined ? request.after : positionOfEntry(last[0]),
      hasMore: entries.length >= request.limit,
      pending: false,
      // A consumer's read waited on the server: the next may start at once.
      longPoll: request.wait === true,
    };
  }

  end(): Promise<Position> {
    return noSingleEnd('redis');
  }

  positionAt(): Promise<Position> {
    return noSinglePositionAtTime('redis');
  }

  /** Events after `after` in the partition (subjects are not counted apart: an upper bound). */
  async count(request: CountRequest): Promise<number> {
    const category = categoryOf(request.sequence);
    const partitions = await this.categories.partitionsOf(category);
    if (partitions === undefined) return 0;
    const { heads } = this.categories.keys.partition(category, request.partition?.index ?? 0);
    const last = BigInt((await this.connection.client.hget(heads, '#')) ?? '0');
    const lag = last - BigInt(request.after);
    return lag > 0n ? Number(lag) : 0;
  }

  /** Waits on the server, on a connection of its own, for entries after `after`. */
  private async waitFor(log: string, after: Position, limit: number) {
    const { blockMs } = this.connection.options;
    if (blockMs === 0) return [];
    const client = await this.connection.borrow();
    try {
      const reply = (await client.xread(
        'COUNT',
        limit,
        'BLOCK',
        blockMs,
        'STREAMS',
        log,
        entryId(after),
      )) as [string, Reply][] | null;
      return asEntries(reply?.[0]?.[1] ?? null);
    } finally {
      this.connection.release(client);
    }
  }
}

/** The published events of one partition's script, or the error it answered with. */
function answersOf(
  reply: string[],
  batch: readonly PreparedEvent[],
  landed: readonly string[],
): PublishedEvent[] {
  const [kind] = reply;
  const landedDetails = landed.length === 0 ? {} : { landed: [...landed] };
  if (kind === 'duplicate_id') {
    throw new ConflictError('an event with this id already exists', false, {
      reason: 'duplicate_id',
      details: { id: reply[1], ...landedDetails },
    });
  }
  if (kind === 'version_conflict') {
    const [, stream, expected, actual] = reply;
    throw new ConflictError(
      `stream ${stream} is at version ${actual}, not the expected ${expected}`,
      false,
      {
        reason: 'version_conflict',
        details: { stream, expected: Number(expected), actual: Number(actual), ...landedDetails },
      },
    );
  }
  if (kind === 'stored') {
    return batch.map((event, i) => {
      const [position, version, time] = (reply[i + 1] ?? '').split(':');
      return {
        id: event.id,
        stream: event.stream,
        position: position ?? '0',
        version: Number(version),
        time: new Date(Number(time)),
      };
    });
  }
  const time = new Date(Number(reply[1]));
  return batch.map((event, i) => ({
    id: event.id,
    stream: event.stream,
    position: reply[2 + i * 2] ?? '0',
    version: Number(reply[3 + i * 2]),
    time,
  }));
}

export function categoryOf(sequence: EventSequence): string {
  if (sequence.kind !== 'category') {
    throw new UnsupportedError(
      `redis reads one category at a time, not a ${sequence.kind} sequence`,
      {
        reason: 'sequence_unsupported',
      },
    );
  }
  return sequence.category;
}
