import type { LogStore } from '../contracts/log.js';
import type { ProviderCapabilities } from '../contracts/provider.js';
import type { StartFrom } from '../contracts/registry.js';
import { BEGINNING, type Position } from '../position.js';

/** Where `startFrom` points in the log now: a new consumer's start, or a reset's target. */
export function startPosition(startFrom: StartFrom, log: LogStore): Promise<Position> {
  switch (startFrom.kind) {
    case 'beginning':
      return Promise.resolve(BEGINNING);
    case 'end':
      return log.end();
    case 'position':
      return Promise.resolve(startFrom.position);
    case 'time':
      return log.positionAt(startFrom.time);
  }
}

/**
 * `startFrom` resolved for the registry: a position where the log has one
 * order; where positions are per partition the provider resolves `from`
 * itself and the position is only a placeholder.
 */
export function startPoint(
  startFrom: StartFrom,
  log: LogStore,
  capabilities: ProviderCapabilities,
): Promise<Position> {
  return capabilities.globalOrder ? startPosition(startFrom, log) : Promise.resolve(BEGINNING);
}
