// The Kafka provider alone: `millrace/kafka`. Its client, an optional peer dependency, loads on open.
export { kafka } from './providers/kafka/kafka.js';
export type { KafkaOptions } from './providers/kafka/kafka.js';
