/**
 * What a log whose positions are per partition (`globalOrder: false`: Kafka,
 * Redis Streams) answers where the contract asks for one position of the
 * whole log: a refusal that says why.
 */
import type { PartitionSlice } from '../contracts/log.js';
import type { Position } from '../position.js';
import { UnsupportedError, ValidationError } from '../errors.js';

export function noSingleEnd(provider: string): Promise<Position> {
  return Promise.reject(
    new UnsupportedError(
      `${provider} positions are per partition: there is no single end of the log`,
      { reason: 'global_order_unsupported' },
    ),
  );
}

export function noSinglePositionAtTime(provider: string): Promise<Position> {
  return Promise.reject(
    new UnsupportedError(`${provider} positions are per partition: a time has no single position`, {
      reason: 'global_order_unsupported',
    }),
  );
}

/**
 * The backend partition a read's slice names: the slice must count the
 * backend's own partitions (a read without one is a slice of one), since a
 * position means something only within one of them. `where` names the
 * partitioned thing (`kafka topic t`, `redis category c`) and `details` say
 * which, in the error.
 */
export function partitionOfSlice(
  where: string,
  partitions: number,
  slice: PartitionSlice | undefined,
  details: Record<string, unknown>,
): number {
  const count = slice?.count ?? 1;
  if (count !== partitions) {
    throw new ValidationError(
      `${where} has ${partitions} partitions: read it as ${partitions} partitions, not ${count}`,
      { reason: 'partition_count_mismatch', details: { ...details, partitions, requested: count } },
    );
  }
  return slice?.index ?? 0;
}
