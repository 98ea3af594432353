/**
 * What a log whose positions are per partition (`globalOrder: false`: Kafka,
 * Redis Streams) answers where the contract asks for one position of the
 * whole log: a refusal that says why.
 */
import type { Position } from '../position.js';
import { UnsupportedError } from '../errors.js';

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
