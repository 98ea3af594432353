import type { Event } from '../event.js';
import type { JsonValue } from '../json.js';
import type { Logger } from '../logger.js';

export interface HandlerContext {
  readonly consumer: string;
  /** The member (process instance) handling the event. */
  readonly member: string;
  readonly partition: number;
  /** The assignment generation under which the event is handled. */
  readonly generation: number;
  /** 1 on the first attempt. */
  readonly attempt: number;
  /** Aborted when the handler must give up: the consumer is stopping past its timeout. */
  readonly signal: AbortSignal;
  readonly logger: Logger;
}

/** Handles one event. Throwing (or rejecting) makes the attempt a failure to retry. */
export type Handler<Data = JsonValue> = (
  event: Event<Data>,
  context: HandlerContext,
) => void | Promise<void>;
