/**
 * Dead letters, for operators: list them (by consumer, subject, error code,
 * time), inspect one, retry (one, by filter, all) or discard them for good.
 * A retried dead letter goes back to its partition's owner, which handles it
 * apart from the live sequence with its attempts counted afresh.
 */
import type {
  DeliveryFilter,
  DeliveryPage,
  DeliveryRecord,
  DeliveryStore,
} from '../contracts/deliveries.js';
import { NotFoundError, ValidationError } from '../errors.js';
import { validateConsumerName } from '../names.js';
import { validateDeliveryFilter } from '../kit/deliveries/delivery-filter.js';

export interface DeadLetterQuery extends DeliveryFilter {
  /** @defaultValue 100 */
  readonly limit?: number;
  /** The `next` of the previous page. */
  readonly after?: string;
}

export class DeadLetters {
  constructor(
    private readonly store: DeliveryStore,
    private readonly assertOpen: () => void,
  ) {}

  /** Dead letters (or, with `state`, retrying or cancelled deliveries), newest first. */
  async list(query: DeadLetterQuery = {}): Promise<DeliveryPage> {
    this.assertOpen();
    const { limit = 100, after, ...rest } = query;
    if (!Number.isSafeInteger(limit) || limit < 1 || limit > 1000) {
      throw new ValidationError(`limit must be an integer from 1 to 1000, got ${limit}`, {
        reason: 'invalid_filter',
        details: { field: 'limit' },
      });
    }
    if (after !== undefined && (typeof after !== 'string' || after.length > 200)) {
      throw new ValidationError('after must be the `next` of a previous page', {
        reason: 'invalid_filter',
        details: { field: 'after' },
      });
    }
    const filter = validateDeliveryFilter(rest);
    return this.store.list({ ...filter, state: filter.state ?? 'discarded' }, limit, after);
  }

  /** One consumer's record of one event, whatever its state. */
  async get(consumer: string, eventId: string): Promise<DeliveryRecord> {
    this.assertOpen();
    const filter = validateDeliveryFilter({ consumer: validateConsumerName(consumer), eventId });
    const [record] = (await this.store.list(filter, 1)).records;
    if (record === undefined) {
      throw new NotFoundError(`${consumer} has no delivery record for event ${eventId}`, {
        reason: 'delivery_not_found',
      });
    }
    return record;
  }

  /** Retries matching dead letters (and cancelled deliveries); `{}` retries every one. Returns how many. */
  async retry(filter: DeliveryFilter): Promise<number> {
    this.assertOpen();
    return this.store.retry(validateDeliveryFilter(filter));
  }

  /** Deletes matching dead letters (and cancelled deliveries) for good. Returns how many. */
  async discard(filter: DeliveryFilter): Promise<number> {
    this.assertOpen();
    return this.store.discard(validateDeliveryFilter(filter));
  }
}
