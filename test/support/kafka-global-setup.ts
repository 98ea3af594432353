/**
 * Global set-up of the tiers that talk to Kafka. With `KAFKA_BROKERS` set,
 * those brokers must answer. Otherwise, when nothing answers on the default
 * 127.0.0.1:9092, it starts a broker with scripts/kafka/kafka.sh (jars from
 * Maven Central, cached after the first time) and stops it when the run
 * ends; a broker already running is used and left alone.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { assertKafkaReachable, kafkaBrokers } from './kafka.js';

const KAFKA_SH = fileURLToPath(new URL('../../scripts/kafka/kafka.sh', import.meta.url));

function kafkaSh(command: string): void {
  execFileSync('bash', [KAFKA_SH, command], { stdio: 'inherit' });
}

/** Makes sure a broker answers; returns how to stop the one it started, if it did. */
export async function ensureKafka(): Promise<(() => void) | undefined> {
  if (process.env.KAFKA_BROKERS !== undefined) {
    await assertKafkaReachable();
    return undefined;
  }
  try {
    await assertKafkaReachable(kafkaBrokers());
    return undefined;
  } catch {
    console.log('kafka: no broker answers on 127.0.0.1:9092; starting one for this run');
  }
  kafkaSh('start');
  await assertKafkaReachable();
  return () => kafkaSh('stop');
}

export default ensureKafka;
