import type { LogStore } from '../contracts/log.js';
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
