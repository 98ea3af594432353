/**
 * The Kafka broker the tests use: 127.0.0.1:9092 from scripts/kafka/kafka.sh,
 * or the comma-separated `KAFKA_BROKERS`. A suite that needs it fails at once
 * with the way to start it, as the PostgreSQL check does (database.ts).
 */
import { connect } from 'node:net';
import { Admin } from '@platformatic/kafka';

export const DEFAULT_KAFKA_BROKERS = ['127.0.0.1:9092'];

export const START_KAFKA_HINT =
  'start it with: scripts/kafka/kafka.sh start (or point KAFKA_BROKERS at brokers, comma-separated host:port)';

/** `KAFKA_BROKERS` (comma-separated host:port), or the broker kafka.sh starts. */
export function kafkaBrokers(env: NodeJS.ProcessEnv = process.env): string[] {
  const listed = (env.KAFKA_BROKERS ?? '')
    .split(',')
    .map((broker) => broker.trim())
    .filter((broker) => broker.length > 0);
  return listed.length > 0 ? listed : [...DEFAULT_KAFKA_BROKERS];
}

/** Resolves once a TCP connection to `host:port` opens; rejects on error or after `timeoutMs`. */
function tcpConnect(broker: string, timeoutMs: number): Promise<void> {
  const colon = broker.lastIndexOf(':');
  const host = colon === -1 ? broker : broker.slice(0, colon);
  const port = colon === -1 ? 9092 : Number(broker.slice(colon + 1));
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.end();
      resolve();
    });
    socket.once('error', (error) => {
      clearTimeout(timer);
      socket.destroy();
      reject(error);
    });
  });
}

/**
 * Fails loudly, with the way out, unless at least one broker accepts a TCP
 * connection (one is enough for a client to bootstrap).
 */
export async function assertKafkaReachable(
  brokers: readonly string[] = kafkaBrokers(),
  timeoutMs = 2000,
): Promise<void> {
  const failures: string[] = [];
  for (const broker of brokers) {
    try {
      await tcpConnect(broker, timeoutMs);
      return;
    } catch (error) {
      failures.push(`${broker}: ${(error as Error).message}`);
    }
  }
  throw new Error(`Kafka is not reachable (${failures.join('; ')}); ${START_KAFKA_HINT}`);
}

/**
 * Deletes what a millrace namespace left on the brokers: the consumer groups
 * and topics named `<prefix>.*` (see src/providers/kafka/kafka-options.ts).
 * Best effort, for test cleanup: returns what it could not delete instead of
 * failing (a group still has members until their session times out).
 */
export async function deleteKafkaNamespace(
  brokers: readonly string[],
  prefix: string,
): Promise<string[]> {
  const head = `${prefix}.`;
  const admin = new Admin({ clientId: 'millrace-tests', bootstrapBrokers: [...brokers] });
  const left: string[] = [];
  try {
    const groups = [...(await admin.listGroups()).keys()].filter((g) => g.startsWith(head));
    if (groups.length > 0) {
      await admin.deleteGroups({ groups }).catch(() => left.push(...groups));
    }
    const topics = (await admin.listTopics()).filter((t) => t.startsWith(head));
    if (topics.length > 0) {
      await admin.deleteTopics({ topics }).catch(() => left.push(...topics));
    }
  } finally {
    await admin.close();
  }
  return left;
}
