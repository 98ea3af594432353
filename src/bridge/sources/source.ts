/**
 * Where a bridge's messages come from: a pub/sub system that keeps nothing,
 * so a message sent while nobody listens is gone. Every bridge process
 * subscribes, leader and standbys alike; a source hands over what it hears
 * in the order the server sent it.
 */

/** One message as heard: its bytes, exactly. */
export interface SourceMessage {
  /** The channel (Redis) or subject (NATS) it was sent to. */
  readonly channel: string;
  /** The subscription pattern that matched it, when it came through one. */
  readonly pattern?: string;
  readonly bytes: Uint8Array;
}

export interface SourceListener {
  /** Each message, in the order the server sent them. */
  message(message: SourceMessage): void;
  /** The connection was lost (`error`) or is back and subscribed again. */
  connection(state: 'up' | 'down', error?: Error): void;
}

export interface BridgeSource {
  /** `redis`, `nats`. */
  readonly kind: string;
  /** Where it reads, with no credentials, for status and logs. */
  readonly description: string;
  /** Whether `pause` holds messages back at the server (the `block` policy). */
  readonly canPause: boolean;
  /** Connects and subscribes; resolves once subscribed. Reconnects by itself, with backoff. */
  start(listener: SourceListener): Promise<void>;
  /**
   * Resolves once every message the server sent this subscriber before the
   * call has been handed to the listener: a new leader calls it before
   * comparing what it heard with what its predecessor appended.
   */
  sync(): Promise<void>;
  /** Stops reading from the server until `resume` (only when `canPause`). */
  pause(): void;
  resume(): void;
  close(): Promise<void>;
}
