/**
 * The Kafka provider against the raw client on the same broker, same run:
 * publish throughput (millrace batches of 1,000 vs the raw idempotent
 * producer), consume throughput (a millrace consumer with a no-op handler
 * vs the raw client's consumer-group stream reading the same topic), and
 * publish-to-handle latency at a steady rate. The overhead of our layer is
 * the ratio. Prints markdown tables.
 *
 *   npm run bench:kafka -- [--events 100000] [--latency-events 2000] [--rounds 2]
 */
import { parseArgs } from 'node:util';
import { Admin, Consumer, ProduceAcks, Producer } from '@platformatic/kafka';
import { Millrace, kafka } from '../src/index.js';
import { describeMachine } from './machine.js';
import { drain, orderEvent, publishBatches, BATCH_STREAMS } from './scenarios.js';
import { formatMs, formatRate, percentile, perSecond, progress, table } from './stats.js';

process.env.MILLRACE_LOG_LEVEL ??= 'error';

const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '100000' },
    'latency-events': { type: 'string', default: '2000' },
    rounds: { type: 'string', default: '2' },
  },
});
const events = Number(values.events);
const latencyEvents = Number(values['latency-events']);
const rounds = Number(values.rounds);
const brokers = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');
const runId = `bench${Date.now().toString(36)}`;
let seq = 0;
const prefix = () => `${runId}-${seq++}`;

/** The raw producer, idempotent with acks=all as our layer, 1,000 messages per send. */
async function rawPublish(topic: string, count: number): Promise<number> {
  const admin = new Admin({ clientId: 'bench-raw', bootstrapBrokers: brokers });
  await admin.createTopics({ topics: [topic], partitions: 8, replicas: -1 });
  await admin.close();
  const producer = new Producer({
    clientId: 'bench-raw',
    bootstrapBrokers: brokers,
    idempotent: true,
    acks: ProduceAcks.ALL,
  });
  const started = performance.now();
  for (let first = 0; first < count; first += 1000) {
    await producer.send({
      messages: Array.from({ length: Math.min(1000, count - first) }, (_, i) => {
        const e = orderEvent(first + i, BATCH_STREAMS);
        return {
          topic,
          key: Buffer.from(e.stream),
          value: Buffer.from(JSON.stringify(e.data)),
          headers: new Map([[Buffer.from('millrace-subject'), Buffer.from(e.subject)]]),
        };
      }),
    });
  }
  const rate = perSecond(count, performance.now() - started);
  await producer.close();
  return rate;
}

/** The raw client's consumer group stream, from the earliest offset, committing as it goes. */
async function rawDrain(topic: string, count: number): Promise<number> {
  const consumer = new Consumer({
    clientId: 'bench-raw',
    groupId: `${topic}-raw`,
    bootstrapBrokers: brokers,
  });
  const started = performance.now();
  const stream = await consumer.consume({ topics: [topic], mode: 'earliest', autocommit: 1000 });
  let seen = 0;
  for await (const message of stream) {
    void message;
    if (++seen === count) break;
  }
  const rate = perSecond(count, performance.now() - started);
  await stream.close();
  await new Promise<void>((resolve) => consumer.close(true, () => resolve()));
  return rate;
}

async function latency(count: number): Promise<number[]> {
  const millrace = await Millrace.open({ provider: kafka({ brokers, prefix: prefix() }) });
  const sent = new Map<string, number>();
  const delays: number[] = [];
  let finish: () => void = () => undefined;
  const done = new Promise<void>((resolve) => (finish = resolve));
  const consumer = millrace.consumer({
    name: 'latency',
    sequence: { category: 'order' },
    handler: (event) => {
      const at = sent.get(event.id);
      if (at !== undefined) delays.push(performance.now() - at);
      if (delays.length === count) finish();
    },
  });
  await millrace.publish(orderEvent(0, 100)); // creates the topic
  await consumer.start();
  for (let i = 0; i < count; i++) {
    const id = crypto.randomUUID();
    sent.set(id, performance.now());
    void millrace.publish({ ...orderEvent(i, 100), id });
    await new Promise((resolve) => setTimeout(resolve, 2)); // ~500/s
    if (i % 500 === 0) progress(`  latency: ${i}/${count}`);
  }
  await done;
  await consumer.stop();
  await millrace.close();
  return delays.sort((a, b) => a - b);
}

const rows: string[][] = [];
const ratios: number[] = [];
for (let round = 1; round <= rounds; round++) {
  progress(`round ${round}: publishing ${events} events`);
  const millrace = await Millrace.open({ provider: kafka({ brokers, prefix: prefix() }) });
  const ourPublish = await publishBatches(millrace, events, 1000, 1);
  const topic = `${runId}-${seq - 1}.order`;
  const rawTopic = `${runId}-raw${round}`;
  progress(`round ${round}: raw producer`);
  const theirPublish = await rawPublish(rawTopic, events);
  // Alternate who reads first, so neither always gets the colder (or warmer) broker.
  progress(`round ${round}: millrace and raw consumers`);
  let ourDrain: number;
  let theirDrain: number;
  if (round % 2 === 1) {
    ourDrain = await drain(millrace, events, { partitions: 8, batchSize: 1000 });
    theirDrain = await rawDrain(topic, events);
  } else {
    theirDrain = await rawDrain(topic, events);
    ourDrain = await drain(millrace, events, { partitions: 8, batchSize: 1000 });
  }
  ratios.push(ourDrain / theirDrain);
  await millrace.close();
  rows.push([
    String(round),
    formatRate(ourPublish),
    formatRate(theirPublish),
    `${((100 * ourPublish) / theirPublish).toFixed(0)} %`,
    formatRate(ourDrain),
    formatRate(theirDrain),
    `${((100 * ourDrain) / theirDrain).toFixed(0)} %`,
  ]);
}
const delays = await latency(latencyEvents);

console.log(
  `\nmachine: ${await describeMachine(undefined)}; Kafka broker at ${brokers.join(', ')}`,
);
console.log(`${events} events, 8 partitions, ${BATCH_STREAMS} streams\n`);
console.log(
  table(
    [
      'round',
      'millrace publish (events/s)',
      'raw producer (msg/s)',
      'ratio',
      'millrace consume (events/s)',
      'raw consumer (msg/s)',
      'ratio',
    ],
    rows,
  ),
);
const sortedRatios = [...ratios].sort((a, b) => a - b);
console.log(
  `\nconsume throughput, millrace / raw client: median ${(100 * (sortedRatios[Math.floor(sortedRatios.length / 2)] ?? 0)).toFixed(0)} % over ${ratios.length} rounds (target >= 80 %)`,
);
console.log(
  `\npublish → handle at ~500/s (${latencyEvents} events): p50 ${formatMs(percentile(delays, 50))}, p99 ${formatMs(percentile(delays, 99))}, max ${formatMs(delays[delays.length - 1] ?? 0)}`,
);
