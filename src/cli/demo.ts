/**
 * `start --demo`: orders that get created, paid and shipped once or twice a
 * second, and two consumers handling them, so a newcomer sees events flow,
 * fan out to consumers and show up in `tail` and `consumers` at once.
 */
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import { errorFields } from '../core/logger.js';
import type { Millrace } from '../millrace.js';

const STEPS = ['order.created', 'order.paid', 'order.shipped'] as const;
const CARRIERS = ['ups', 'dhl', 'fedex'];

export interface Demo {
  stop(): Promise<void>;
}

function dataFor(subject: (typeof STEPS)[number]): Record<string, string | number> {
  switch (subject) {
    case 'order.created':
      return {
        total: Math.round(Math.random() * 20_000) / 100,
        items: 1 + Math.floor(Math.random() * 4),
      };
    case 'order.paid':
      return { method: Math.random() < 0.7 ? 'card' : 'invoice' };
    case 'order.shipped':
      return { carrier: CARRIERS[Math.floor(Math.random() * CARRIERS.length)] ?? 'ups' };
  }
}

/** Streams with the index of their next step; a shipped order is done. */
class OrderPublisher {
  private readonly open = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(
    private readonly millrace: Millrace,
    private readonly logger: Logger,
  ) {}

  start(): void {
    const tick = () => {
      this.running = this.publishNext().finally(() => {
        if (!this.stopped) this.timer = setTimeout(tick, 500 + Math.random() * 500);
      });
    };
    tick();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  private pick(): [stream: string, step: number] {
    const streams = [...this.open.keys()];
    if (streams.length < 3 || Math.random() < 0.3)
      return [`order-${randomBytes(3).toString('hex')}`, 0];
    const stream = streams[Math.floor(Math.random() * streams.length)] as string;
    return [stream, this.open.get(stream) ?? 0];
  }

  private async publishNext(): Promise<void> {
    const [stream, step] = this.pick();
    const subject = STEPS[step] ?? 'order.shipped';
    try {
      const event = await this.millrace.publish({ stream, subject, data: dataFor(subject) });
      this.logger.info({ stream, subject, position: event.position }, 'published');
      if (step + 1 < STEPS.length) this.open.set(stream, step + 1);
      else this.open.delete(stream);
    } catch (error) {
      this.logger.warn({ stream, subject, ...errorFields(error) }, 'demo publish failed');
    }
  }
}

export async function startDemo(millrace: Millrace, logger: Logger): Promise<Demo> {
  const consumers = [
    { name: 'send-confirmation-email', subjects: ['order.created'] },
    { name: 'update-sales-report', subjects: ['order.>'] },
  ].map(({ name, subjects }) =>
    millrace.consumer({
      name,
      sequence: { category: 'order' },
      subjects,
      partitions: 4,
      handler: (event, context) => {
        logger.info(
          {
            consumer: context.consumer,
            stream: event.stream,
            subject: event.subject,
            position: event.position,
          },
          'handled',
        );
      },
    }),
  );
  // One after the other: on PGlite, concurrent first registrations race to build the same index.
  for (const consumer of consumers) await consumer.start();
  const publisher = new OrderPublisher(millrace, logger);
  publisher.start();
  // The consumers stop with the Millrace instance, after the publisher.
  return { stop: () => publisher.stop() };
}
