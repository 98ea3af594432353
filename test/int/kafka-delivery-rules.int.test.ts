/**
 * The consumer runtime's delivery rules (retries, dead letters, decisions,
 * the three orderings under failure, the low watermark, attempts across a
 * restart, ack timeouts, at-most-once), the same suite as on memory,
 * PostgreSQL and PGlite, on the real Kafka broker. Its topics get one
 * partition, as the suite's consumers read one.
 */
import { randomUUID } from 'node:crypto';
import { describe } from 'vitest';
import { Millrace, kafka } from '../../src/index.js';
import { deliverySuite } from '../support/delivery-suite.js';
import { deleteKafkaNamespace, kafkaBrokers } from '../support/kafka.js';
import { recordingLogger } from '../support/wait.js';

describe('delivery rules on kafka', () => {
  deliverySuite(
    () => {
      const prefix = `dr${randomUUID().slice(0, 8)}`;
      const opened: Millrace[] = [];
      return Promise.resolve({
        async open() {
          const millrace = await Millrace.open({
            logger: recordingLogger(),
            provider: kafka({ brokers: kafkaBrokers(), prefix, partitions: 1 }),
          });
          opened.push(millrace);
          return millrace;
        },
        async close() {
          await Promise.all(opened.map((m) => m.close()));
          await deleteKafkaNamespace(kafkaBrokers(), prefix);
        },
      });
    },
    { resetWhileRunning: false },
  );
});
