/**
 * Kafka client errors as millrace errors, so callers see one vocabulary.
 * The client retries transient failures itself; what reaches us either
 * needs a decision here (a fenced member, a rebalance) or is a connection
 * problem worth retrying later.
 */
import { ConnectionError, FencedError, MillraceError } from '../../core/errors.js';

interface Findable {
  findBy?: (property: string, value: unknown) => unknown;
}

/** Whether the client error (or one inside it) is the Kafka protocol error `apiId`. */
export function isKafkaError(error: unknown, ...apiIds: string[]): boolean {
  const findable = error as Findable | undefined;
  if (typeof findable?.findBy !== 'function') return false;
  return apiIds.some((id) => findable.findBy?.('apiId', id) != null);
}

/** A stale member or generation: the group moved on without this member. */
export const FENCING_ERRORS = ['ILLEGAL_GENERATION', 'UNKNOWN_MEMBER_ID', 'FENCED_INSTANCE_ID'];

export function toMillraceError(error: unknown, doing: string): MillraceError {
  if (error instanceof MillraceError) return error;
  const message = error instanceof Error ? error.message : String(error);
  if (isKafkaError(error, ...FENCING_ERRORS)) {
    return new FencedError(`kafka: ${doing}: ${message}`, { cause: error });
  }
  return new ConnectionError(`kafka: ${doing}: ${message}`, { cause: error });
}

/** Runs a client call, translating its failure. */
export async function kafkaCall<T>(doing: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw toMillraceError(error, doing);
  }
}

/**
 * The group coordinator is moving or loading (a broker just started, died
 * or took over `__consumer_offsets`). The client's admin calls look the
 * coordinator up once and retry against that same broker, so the caller
 * looks it up again by calling again.
 */
const COORDINATOR_ERRORS = [
  'NOT_COORDINATOR',
  'COORDINATOR_LOAD_IN_PROGRESS',
  'COORDINATOR_NOT_AVAILABLE',
];

/** How long group calls keep trying while a coordinator moves: a broker's election and load. */
const COORDINATOR_RETRY_MS = [100, 250, 500, 1000, 2000, 2000, 2000, 2000, 2000, 2000];

/** Runs a group call (see kafkaCall), again while its coordinator is moving. */
export async function groupCall<T>(doing: string, call: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await call();
    } catch (error) {
      const delay = COORDINATOR_RETRY_MS[attempt];
      if (delay === undefined || !isKafkaError(error, ...COORDINATOR_ERRORS)) {
        throw toMillraceError(error, doing);
      }
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}
