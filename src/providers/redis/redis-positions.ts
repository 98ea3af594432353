/**
 * Positions on Redis: one hash per consumer (`positions`, beside its owners
 * under the consumer's hash tag), so a member's commit is fenced by the
 * assignment in the same script.
 */
import type {
  PartitionPosition,
  PositionCommit,
  PositionStore,
  PositionWriter,
} from '../../core/contracts/positions.js';
import { FencedError } from '../../core/errors.js';
import { validatePosition } from '../../core/position.js';
import type { RedisConnection } from './redis-connection.js';
import type { RedisKeys } from './redis-keys.js';

/** A stored position: `position:generation:time`. */
export function parseStoredPosition(partition: number, value: string): PartitionPosition {
  const [position, generation, time] = value.split(':');
  return {
    partition,
    position: position ?? '0',
    generation: Number(generation ?? 0),
    updatedAt: new Date(Number(time ?? 0)),
  };
}

export class RedisPositions implements PositionStore, PositionWriter<never> {
  constructor(
    private readonly connection: RedisConnection,
    private readonly keys: RedisKeys,
  ) {}

  async load(consumer: string): Promise<PartitionPosition[]> {
    const stored = await this.connection.client.hgetall(this.keys.consumer(consumer).positions);
    return Object.entries(stored)
      .map(([partition, value]) => parseStoredPosition(Number(partition), value))
      .sort((a, b) => a.partition - b.partition);
  }

  async commit(
    consumer: string,
    member: string,
    commits: readonly PositionCommit[],
  ): Promise<void> {
    if (commits.length === 0) return;
    const keys = this.keys.consumer(consumer);
    const args: (string | number)[] = [member];
    for (const c of commits) args.push(c.partition, validatePosition(c.position), c.generation);
    const refused = (await this.connection.runDurably(
      'positions_commit',
      [keys.owners, keys.positions],
      args,
    )) as number[];
    if (refused.length === 0) return;
    throw new FencedError(
      `member ${member} of ${consumer} no longer owns partitions ${refused.join(', ')}: their commits were refused`,
      { reason: 'stale_generation', details: { consumer, member, partitions: refused } },
    );
  }
}
