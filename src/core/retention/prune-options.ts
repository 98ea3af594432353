/**
 * What `millrace.prune()` and the automatic retention policy accept, checked
 * once, before anything is read or deleted.
 */
import type { PruneRequest } from '../contracts/retention.js';
import { ValidationError } from '../errors.js';
import { validateCategory } from '../names.js';
import { parseDuration } from './duration.js';

export interface PruneOptions {
  /** Prune one category. @defaultValue every category, each on its own */
  category?: string;
  /** Prune events older than this: `'7d'`, `'12h'`, `'30m'`, `'45s'`, `'500ms'`, or milliseconds. */
  olderThan?: string | number;
  /** Keep at least the newest N events of each category (0: keep none but streams' newest). */
  keepLast?: number;
  /**
   * Prune past the positions of consumers that have not handled the events
   * yet: those consumers never see them. @defaultValue false
   */
  force?: boolean;
}

/** The request a prune sends to the provider, `olderThan` measured back from `now`. */
export function toPruneRequest(options: PruneOptions, now: number = Date.now()): PruneRequest {
  if (typeof options !== 'object' || options === null) {
    throw invalid('prune options must be an object: { olderThan?, keepLast?, category?, force? }');
  }
  const { category, olderThan, keepLast, force } = options;
  if (olderThan === undefined && keepLast === undefined) {
    throw invalid(
      'say what to keep: olderThan (a duration such as 7d), keepLast (a count), or both',
    );
  }
  if (keepLast !== undefined && (!Number.isSafeInteger(keepLast) || keepLast < 0)) {
    throw invalid(`invalid keepLast ${JSON.stringify(keepLast)}: expected a whole number >= 0`);
  }
  if (force !== undefined && typeof force !== 'boolean') {
    throw invalid(`invalid force ${JSON.stringify(force)}: expected true or false`);
  }
  return {
    ...(category === undefined ? {} : { category: validateCategory(category) }),
    ...(olderThan === undefined
      ? {}
      : { before: new Date(now - parseDuration(olderThan, 'olderThan')) }),
    ...(keepLast === undefined ? {} : { keepLast }),
    force: force ?? false,
  };
}

function invalid(message: string): ValidationError {
  return new ValidationError(message, { reason: 'invalid_option' });
}
