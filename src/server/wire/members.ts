/**
 * Members over HTTP: starting one, fetching deliveries, committing results,
 * extending deadlines, heartbeats and stopping. The schemas check shape and
 * bounds; the consumer's options are then checked by the core with the
 * library's reasons.
 */
import { z } from 'zod';
import { parseSequence } from '../../core/sequence.js';
import { sequenceText } from './requests.js';
import { EventJson } from './responses.js';

/** The longest a fetch may wait for a delivery. */
export const MAX_FETCH_WAIT_MS = 30_000;
/** Deliveries one fetch, commit or extend names at most. */
export const MAX_MEMBER_BATCH = 1000;
/** The longest a deadline may be set or extended to, from now. */
export const MAX_DEADLINE_MS = 12 * 60 * 60_000;

const ms = (max: number) => z.number().int().min(0).max(max);

const Backoff = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('exponential'),
    baseMs: ms(3_600_000),
    capMs: ms(86_400_000),
  }),
  z.strictObject({ type: z.literal('fixed'), delayMs: ms(86_400_000) }),
]);

/** What a consumer is registered with: the same whether by itself or by a member's start. */
const consumerDefinition = {
  sequence: sequenceText().transform(parseSequence),
  subjects: z.array(z.string()).max(64).optional(),
  partitions: z.number().int().optional(),
  maxAttempts: z.number().int().optional(),
  /** Where a new consumer starts; an existing one keeps its positions. */
  startFrom: z.enum(['beginning', 'end']).optional(),
};

export const RegisterConsumerBody = z.strictObject(consumerDefinition);

export const StartMemberBody = z.strictObject({
  ...consumerDefinition,
  ordering: z.enum(['stream', 'partition', 'none']).optional(),
  retry: Backoff.optional(),
  /** A delivery not committed this long after its fetch gets its next attempt. */
  ackTimeoutMs: z.number().int().min(100).max(MAX_DEADLINE_MS).optional(),
  /** Deliveries held for this member (fetched or ready) at most. */
  maxInFlight: z.number().int().min(1).max(10_000).optional(),
  /** The member ends when the worker makes no call for this long. */
  sessionTimeoutMs: z.number().int().min(1000).max(600_000).optional(),
  /** The worker's name for itself (its host), shown in the consumer's status. */
  worker: z.string().min(1).max(200).optional(),
});

export type StartMemberBody = z.output<typeof StartMemberBody>;

export const MemberParams = z.strictObject({ id: z.string().max(100) });
export const ConsumerMemberParams = z.strictObject({ name: z.string() });

export const MemberJson = z.object({
  memberId: z.string(),
  consumer: z.string(),
  partitions: z.array(z.number().int()),
  ackTimeoutMs: z.number().int(),
  maxInFlight: z.number().int(),
  sessionTimeoutMs: z.number().int(),
});

export const StartedMemberJson = MemberJson.extend({
  /** Send it in the millrace-member-token header of every call; shown this once. */
  token: z.string(),
});

export const FetchBody = z.strictObject({
  max: z.number().int().min(1).max(MAX_MEMBER_BATCH).optional(),
  maxBytes: z
    .number()
    .int()
    .min(1)
    .max(64 * 1024 * 1024)
    .optional(),
  wait: ms(MAX_FETCH_WAIT_MS).optional(),
});

export const DeliveryJson = z.object({
  id: z.string(),
  partition: z.number().int(),
  attempt: z.number().int(),
  deadline: z.iso.datetime(),
  event: EventJson,
});

export const FetchResponse = z.object({
  deliveries: z.array(DeliveryJson),
  partitions: z.array(z.number().int()),
  /** Events behind in each of the member's partitions, by partition: a reading at most 2 s old (older when counting a deep backlog takes long). */
  lag: z.record(z.string(), z.number().int()),
  inFlight: z.number().int(),
  maxInFlight: z.number().int(),
  /** The member holds its cap of deliveries, all fetched: commit some before more come. */
  atCapacity: z.boolean(),
});

const reason = z.string().max(1000).optional();
const DeliveryId = z.string().max(200);

export const CommitItem = z.discriminatedUnion('outcome', [
  z.strictObject({ id: DeliveryId, outcome: z.literal('ok') }),
  z.strictObject({
    id: DeliveryId,
    outcome: z.literal('retry'),
    afterMs: ms(MAX_DEADLINE_MS),
    reason,
  }),
  z.strictObject({ id: DeliveryId, outcome: z.literal('dead-letter'), reason }),
  z.strictObject({ id: DeliveryId, outcome: z.literal('cancel'), reason }),
]);

/**
 * `ok` lists deliveries handled well, by id alone (Pub/Sub's acknowledge,
 * the common case and the cheapest to send); `results` gives each of the
 * others its outcome. One of them at least, together at most a batch.
 */
export const CommitBody = z
  .strictObject({
    ok: z.array(DeliveryId).max(MAX_MEMBER_BATCH).optional(),
    results: z.array(CommitItem).max(MAX_MEMBER_BATCH).optional(),
  })
  .refine(
    ({ ok = [], results = [] }) =>
      ok.length + results.length >= 1 && ok.length + results.length <= MAX_MEMBER_BATCH,
    { message: `name between 1 and ${MAX_MEMBER_BATCH} deliveries in ok and results together` },
  );

export const ExtendBody = z.strictObject({
  ids: z.array(DeliveryId).min(1).max(MAX_MEMBER_BATCH),
  /** The new deadline, this long from now. */
  byMs: z.number().int().min(1).max(MAX_DEADLINE_MS),
});

const DeliveryStatusJson = z.enum(['applied', 'fenced', 'expired', 'unknown']);

export const ItemsResponse = z.object({
  results: z.array(z.object({ id: z.string(), status: DeliveryStatusJson })),
});

export const HeartbeatResponse = z.object({
  partitions: z.array(z.number().int()),
  inFlight: z.number().int(),
});

export const StoppedResponse = z.object({ stopped: z.string() });
