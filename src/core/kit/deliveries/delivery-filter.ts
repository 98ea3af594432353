/**
 * Filters over delivery records (dead letters and retries), validated once
 * where they enter (library, HTTP, CLI) so providers only ever see clean
 * values, and matched the same way by every provider.
 */
import { DELIVERY_STATES, type DeliveryFilter } from '../../contracts/deliveries.js';
import type { DeliveryRecord } from '../../contracts/deliveries.js';
import { ValidationError } from '../../errors.js';
import { validateConsumerName } from '../../names.js';
import { clip } from '../../quote.js';
import { subjectMatcher, validateSubjectPattern } from '../../subjects.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const ERROR_CODE = /^[A-Za-z0-9_.:-]{1,100}$/;

function invalid(field: string, message: string): ValidationError {
  return new ValidationError(`delivery filter ${clip(field)} ${message}`, {
    reason: 'invalid_filter',
    details: { field: clip(field) },
  });
}

function date(field: string, value: unknown): Date | undefined {
  if (value === undefined) return undefined;
  if (!(value instanceof Date) || Number.isNaN(value.getTime())) {
    throw invalid(field, 'must be a valid Date');
  }
  return value;
}

export function validateDeliveryFilter(input: unknown = {}): DeliveryFilter {
  if (typeof input !== 'object' || input === null) throw invalid('', 'must be an object');
  const filter = input as Record<string, unknown>;
  const known = new Set(['consumer', 'state', 'subject', 'errorCode', 'since', 'until', 'eventId']);
  for (const key of Object.keys(filter)) {
    if (!known.has(key) && filter[key] !== undefined) throw invalid(key, 'is not a filter field');
  }
  const state = filter.state;
  if (state !== undefined && !DELIVERY_STATES.includes(state as never)) {
    throw invalid('state', `must be one of ${DELIVERY_STATES.join(', ')}`);
  }
  const errorCode = filter.errorCode;
  if (errorCode !== undefined && (typeof errorCode !== 'string' || !ERROR_CODE.test(errorCode))) {
    throw invalid('errorCode', 'must be 1 to 100 letters, digits or _.:-');
  }
  const eventId = filter.eventId;
  if (eventId !== undefined && (typeof eventId !== 'string' || !UUID.test(eventId))) {
    throw invalid('eventId', 'must be a UUID');
  }
  return {
    consumer: filter.consumer === undefined ? undefined : validateConsumerName(filter.consumer),
    state: state as DeliveryFilter['state'],
    subject: filter.subject === undefined ? undefined : validateSubjectPattern(filter.subject),
    errorCode: errorCode,
    since: date('since', filter.since),
    until: date('until', filter.until),
    eventId: eventId === undefined ? undefined : eventId.toLowerCase(),
  };
}

/** The same test the SQL makes, for providers that hold records in memory. */
export function deliveryMatcher(filter: DeliveryFilter): (record: DeliveryRecord) => boolean {
  const subject = filter.subject === undefined ? undefined : subjectMatcher([filter.subject]);
  return (record) =>
    (filter.consumer === undefined || record.consumer === filter.consumer) &&
    (filter.state === undefined || record.state === filter.state) &&
    (subject === undefined || subject(record.event.subject)) &&
    (filter.errorCode === undefined || record.lastError?.code === filter.errorCode) &&
    (filter.since === undefined || record.updatedAt >= filter.since) &&
    (filter.until === undefined || record.updatedAt < filter.until) &&
    (filter.eventId === undefined || record.event.id === filter.eventId);
}
