// The public surface, named on purpose.
export { Millrace } from './millrace.js';
export type {
  ConsumerStatus,
  MillraceOptions,
  PartitionStatus,
  ProviderSource,
  PublishOptions,
  ReadOptions,
  ScheduledOptions,
  ScheduledPage,
} from './millrace.js';

export { postgres, pglite } from './providers/postgres/postgres-provider.js';
export type { PgliteOptions, PostgresOptions } from './providers/postgres/postgres-provider.js';
export { kafka } from './providers/kafka/kafka.js';
export type { KafkaOptions } from './providers/kafka/kafka.js';

export { Bridge } from './bridge/bridge.js';
export type { BridgeProcessStatus, BridgeSignals } from './bridge/bridge.js';
export type { BridgeOptions, FullBufferPolicy, StreamChoice } from './bridge/bridge-options.js';
export { bridgedBytes, bridgedJson } from './bridge/bridged-message.js';
export type { BridgedMetadata } from './bridge/bridged-message.js';
export { readBridgeStatus } from './bridge/bridge-status.js';
export type { BridgeStatus } from './bridge/bridge-status.js';
export { redisPubSub } from './bridge/sources/redis-pubsub.js';
export type { RedisPubSubOptions } from './bridge/sources/redis-pubsub.js';
export { natsSubjects } from './bridge/sources/nats-subjects.js';
export type { NatsSubjectsOptions } from './bridge/sources/nats-subjects.js';
export type { BridgeSource, SourceListener, SourceMessage } from './bridge/sources/source.js';

export { Consumer } from './core/consumer/consumer.js';
export type { ConsumerState } from './core/consumer/consumer.js';
export type { ConsumerOptions, StartFromInput } from './core/consumer/options.js';
export { cancel, deadLetter, retryAfter } from './core/consumer/handler.js';
export type { Decision, Handler, HandlerContext } from './core/consumer/handler.js';
export type { Ordering } from './core/consumer/delivery-window.js';
export { DeadLetters } from './core/deliveries/dead-letters.js';
export type { DeadLetterQuery } from './core/deliveries/dead-letters.js';
export { ApiKeys } from './core/keys/api-keys.js';
export type { CreatedApiKey, NewKeyOptions } from './core/keys/api-keys.js';
export { KEY_SCOPES } from './core/contracts/keys.js';
export type { ApiKeyRecord, KeyScope, KeyStore } from './core/contracts/keys.js';
export type {
  DeliveryError,
  DeliveryFilter,
  DeliveryPage,
  DeliveryRecord,
  DeliveryState,
  DeliveryStore,
} from './core/contracts/deliveries.js';
export type { BackoffPolicy } from './core/consumer/backoff.js';
export type { ConsumerSignals } from './core/consumer/signals.js';

export type {
  DelayedEventInput,
  Event,
  EventInput,
  PublishedEvent,
  PublishInput,
  PublishResult,
  ScheduledEvent,
} from './core/event.js';
export type { ListedScheduledEvent, PendingScheduledEvent } from './core/contracts/scheduled.js';
export type { JsonObject, JsonValue } from './core/json.js';
export type { Logger } from './core/logger.js';
export { BEGINNING, comparePositions } from './core/position.js';
export type { Position } from './core/position.js';
export type { EventSequence, SequenceInput } from './core/sequence.js';
export { subjectMatcher } from './core/subjects.js';

export {
  AckTimeoutError,
  ClosedError,
  ConflictError,
  ConnectionError,
  FencedError,
  ForbiddenError,
  MillraceError,
  NotFoundError,
  UnauthorizedError,
  UnsupportedError,
  ValidationError,
  isMillraceError,
} from './core/errors.js';
export type { ErrorCode } from './core/errors.js';

export type { PartitionSlice, ReadPage } from './core/contracts/log.js';
export type {
  Provider,
  ProviderCapabilities,
  ProviderFactory,
  TransactionOf,
} from './core/contracts/provider.js';
export type { LogStore } from './core/contracts/log.js';
export type { PositionStore } from './core/contracts/positions.js';
export type { ConsumerRegistry, ConsumerRecord } from './core/contracts/registry.js';
export type { Membership, MemberSession, Assignment } from './core/contracts/membership.js';
export type { WakeupSource } from './core/contracts/wakeups.js';
export type {
  CategoryPruneResult,
  PruneResult,
  RetentionHold,
  RetentionStore,
} from './core/contracts/retention.js';
export type { PruneOptions } from './core/retention/prune-options.js';
export type { RetentionOptions } from './core/retention/retention-policy.js';
