/**
 * NATS core subjects as a bridge source: at-most-once, like Redis Pub/Sub,
 * so the same bridge closes the same gap. Subjects may hold NATS wildcards
 * (`*`, `>`). `sync` is a flush (PING/PONG): the server has sent everything
 * routed to us before it answers. The client reconnects by itself, forever,
 * with the backoff below, and subscribes again.
 */
import type { NatsConnection } from 'nats';
import { ValidationError } from '../../core/errors.js';
import { withOptionalClient } from '../../core/kit/optional-client.js';
import type { BridgeSource, SourceListener } from './source.js';

export interface NatsSubjectsOptions {
  /** `nats://host:port`, comma-separated for a cluster. */
  servers: string;
  /** Subjects, wildcards allowed (at least one). */
  subjects: readonly string[];
  /** Wait between reconnects. @defaultValue 250 */
  reconnectMs?: number;
}

export function natsSubjects(options: NatsSubjectsOptions): BridgeSource {
  return new NatsSubjectsSource(options);
}

class NatsSubjectsSource implements BridgeSource {
  readonly kind = 'nats';
  // The client reads on regardless; a server whose subscriber falls behind drops it.
  readonly canPause = false;
  readonly description: string;
  private connection: NatsConnection | undefined;

  constructor(private readonly options: NatsSubjectsOptions) {
    const bad = options.subjects.find(
      (s) => typeof s !== 'string' || s.length === 0 || /\s/.test(s),
    );
    if (options.subjects.length === 0 || bad !== undefined) {
      throw new ValidationError('a NATS source needs subjects without spaces (at least one)', {
        reason: 'invalid_option',
      });
    }
    if (!/^(nats|tls|ws|wss):\/\//.test(options.servers)) {
      throw new ValidationError('NATS servers: use nats://host:port', { reason: 'invalid_option' });
    }
    this.description = `nats ${options.servers.replace(/\/\/[^@/]*@/g, '//')} ${options.subjects.join(',')}`;
  }

  async start(listener: SourceListener): Promise<void> {
    const { connect, Events } = await withOptionalClient(
      'nats',
      'nats',
      () => import('./nats-client.js'),
    );
    const connection = await connect({
      servers: this.options.servers.split(','),
      maxReconnectAttempts: -1,
      reconnectTimeWait: this.options.reconnectMs ?? 250,
      name: 'millrace-bridge',
    });
    this.connection = connection;
    for (const subject of this.options.subjects) {
      connection.subscribe(subject, {
        callback: (error, message) => {
          if (error !== null) return;
          const pattern = /[*>]/.test(subject) ? { pattern: subject } : {};
          listener.message({ channel: message.subject, bytes: message.data, ...pattern });
        },
      });
    }
    void (async () => {
      for await (const status of connection.status()) {
        if (status.type === Events.Disconnect) listener.connection('down');
        if (status.type === Events.Reconnect) listener.connection('up');
      }
    })();
    await connection.flush();
  }

  async sync(): Promise<void> {
    await this.connection?.flush();
  }

  pause(): void {
    // canPause is false: the `block` policy is refused for this source.
  }

  resume(): void {}

  async close(): Promise<void> {
    const connection = this.connection;
    this.connection = undefined;
    await connection?.drain().catch(() => connection.close());
  }
}
