/**
 * When a delayed event is due. A delayed event is not in the log until then
 * (see scheduling/scheduler.ts): it gets its version and position when it
 * is delivered, so `expectedVersion` cannot be checked when it is published.
 */
import { ValidationError } from './errors.js';

// The last instant every backend can store: PostgreSQL's timestamp input reads a
// four-digit year, and JavaScript writes the year 10000 as "+010000".
const LATEST_DELIVER_AT = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

/** The validated `deliverAt`: a copy of the Date, or null to append at once (absent, past or now). */
export function validateDeliverAt(deliverAt: unknown, expectedVersion: number | null): Date | null {
  if (deliverAt === undefined) return null;
  if (!(deliverAt instanceof Date) || Number.isNaN(deliverAt.getTime())) {
    throw new ValidationError('deliverAt must be a valid Date', { reason: 'invalid_deliver_at' });
  }
  if (deliverAt.getTime() > LATEST_DELIVER_AT) {
    throw new ValidationError('deliverAt must be no later than 9999-12-31T23:59:59.999Z', {
      reason: 'invalid_deliver_at',
    });
  }
  if (expectedVersion !== null) {
    throw new ValidationError(
      'expectedVersion cannot be combined with deliverAt: a delayed event gets its version when it is delivered',
      { reason: 'deliver_at_with_expected_version' },
    );
  }
  return deliverAt.getTime() > Date.now() ? new Date(deliverAt.getTime()) : null;
}
