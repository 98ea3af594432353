/**
 * The two pure-JavaScript Kafka clients side by side on the same broker, in
 * one run: KafkaJS and @platformatic/kafka (the one the Kafka provider uses).
 * Produce throughput (idempotent, acks=all, 1,000 messages a send call),
 * consume throughput (one group member reading a fresh topic from the
 * beginning) and publish→consume latency at a steady rate, as a markdown table.
 *
 *   node --import tsx bench/kafka-clients.ts [--events 100000] [--latency-messages 2000] [--rate 500]
 *
 * Needs a broker: scripts/kafka/kafka.sh start (KAFKA_BROKERS overrides 127.0.0.1:9092).
 */
import { readFile } from 'node:fs/promises';
import { cpus, totalmem } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import {
  Admin,
  Consumer,
  MessagesStreamModes,
  ProduceAcks,
  Producer,
  stringSerializers,
} from '@platformatic/kafka';
import { Kafka, Partitioners, logLevel } from 'kafkajs';
import { formatMs, formatRate, percentile, perSecond, progress, table } from './stats.js';

const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '100000' },
    'latency-messages': { type: 'string', default: '2000' },
    rate: { type: 'string', default: '500' },
  },
});
const events = Number(values.events);
const latencyMessages = Number(values['latency-messages']);
const rate = Number(values.rate);
const brokers = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');
const PARTITIONS = 8;
const KEYS = 1000;
const BATCH = 1000;
const VALUE_BYTES = 200;
/** Long enough for a slow machine, short enough that a lost message fails the run. */
const WAIT_MS = 120_000;

interface OutgoingMessage {
  topic: string;
  key: string;
  value: string;
}

/** What each client must do; every method uses the client's own recommended API. */
interface Client {
  readonly name: string;
  createTopic(topic: string): Promise<void>;
  deleteTopics(topics: string[]): Promise<void>;
  send(topic: string, messages: OutgoingMessage[]): Promise<void>;
  /** Joins `group` reading `topic` from the beginning; resolves once partitions are assigned. */
  consume(topic: string, group: string, onValue: (value: Buffer) => void): Promise<Stop>;
  close(): Promise<void>;
}
type Stop = () => Promise<void>;

async function kafkajsClient(): Promise<Client> {
  const kafka = new Kafka({ clientId: 'bench-kafkajs', brokers, logLevel: logLevel.ERROR });
  const admin = kafka.admin();
  // No auto-creation: KafkaJS refreshes metadata of every topic it has used,
  // which would bring a deleted bench topic back.
  const producer = kafka.producer({
    idempotent: true,
    allowAutoTopicCreation: false,
    createPartitioner: Partitioners.DefaultPartitioner, // murmur2, as Java and platformatic
  });
  await Promise.all([admin.connect(), producer.connect()]);
  return {
    name: 'kafkajs',
    async createTopic(topic) {
      await admin.createTopics({
        topics: [{ topic, numPartitions: PARTITIONS }],
        waitForLeaders: true,
      });
    },
    deleteTopics: (topics) => admin.deleteTopics({ topics }),
    async send(topic, messages) {
      await producer.send({ topic, messages, acks: -1 });
    },
    async consume(topic, group, onValue) {
      const consumer = kafka.consumer({ groupId: group, allowAutoTopicCreation: false });
      const joined = new Promise<void>((resolve) => {
        consumer.on(consumer.events.GROUP_JOIN, () => resolve());
      });
      await consumer.connect();
      await consumer.subscribe({ topics: [topic], fromBeginning: true });
      // eachBatch is KafkaJS's throughput path; offsets resolve and commit after each batch.
      await consumer.run({
        eachBatch: ({ batch }) => {
          for (const message of batch.messages) if (message.value) onValue(message.value);
          return Promise.resolve();
        },
      });
      await within(joined, 'kafkajs group join');
      return () => consumer.disconnect();
    },
    async close() {
      await Promise.all([producer.disconnect(), admin.disconnect()]);
    },
  };
}

function platformaticClient(): Client {
  const base = { clientId: 'bench-platformatic', bootstrapBrokers: brokers };
  // Connects lazily, on the first call.
  const admin = new Admin(base);
  const producer = new Producer({
    ...base,
    idempotent: true,
    acks: ProduceAcks.ALL,
    serializers: stringSerializers,
  });
  return {
    name: '@platformatic/kafka',
    async createTopic(topic) {
      await admin.createTopics({ topics: [topic], partitions: PARTITIONS });
      // createTopics returns before every partition has a leader; sends would retry.
      for (let i = 0; ; i++) {
        const metadata = await admin.metadata({ topics: [topic], forceUpdate: true });
        const partitions = metadata.topics.get(topic)?.partitions ?? [];
        if (partitions.length === PARTITIONS && partitions.every((p) => p.leader >= 0)) return;
        if (i === 100) throw new Error(`topic ${topic} has no leaders after 10 s`);
        await sleep(100);
      }
    },
    deleteTopics: (topics) => admin.deleteTopics({ topics }),
    async send(_topic, messages) {
      await producer.send({ messages });
    },
    async consume(topic, group, onValue) {
      // Commits the last offset of each partition once a second, the documented
      // alternative to committing after every fetch.
      const consumer = new Consumer({ ...base, groupId: group, autocommit: 1000 });
      const joined = new Promise<void>((resolve) => {
        consumer.once('consumer:group:join', () => resolve());
      });
      const stream = await consumer.consume({
        topics: [topic],
        mode: MessagesStreamModes.EARLIEST,
      });
      stream.on('data', (message) => onValue(message.value));
      const failed = new Promise<never>((_, reject) => stream.once('error', reject));
      await within(Promise.race([joined, failed]), 'platformatic group join');
      return async () => {
        await stream.close();
        await consumer.close();
      };
    },
    async close() {
      await Promise.all([producer.close(), admin.close()]);
    },
  };
}

function within<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: nothing after ${WAIT_MS} ms`)), WAIT_MS);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** A JSON value padded to about VALUE_BYTES, carrying its send time for the latency run. */
function value(i: number, sentAt = 0): string {
  const bare = JSON.stringify({ i, sentAt, pad: '' });
  return JSON.stringify({ i, sentAt, pad: 'x'.repeat(Math.max(0, VALUE_BYTES - bare.length)) });
}

function counter(target: number): { onValue: () => void; done: Promise<void> } {
  let seen = 0;
  let resolve!: () => void;
  const done = new Promise<void>((r) => (resolve = r));
  const onValue = () => {
    seen += 1;
    if (seen === target) resolve();
  };
  return { onValue, done };
}

interface Result {
  produce: number;
  consume: number;
  latency: { p50: number; p99: number; max: number; achievedRate: number };
}

async function throughput(client: Client, topic: string): Promise<Omit<Result, 'latency'>> {
  const batches: OutgoingMessage[][] = [];
  for (let i = 0; i < events; i += BATCH) {
    const size = Math.min(BATCH, events - i);
    batches.push(
      Array.from({ length: size }, (_, j) => ({
        topic,
        key: `key-${(i + j) % KEYS}`,
        value: value(i + j),
      })),
    );
  }
  progress(`${client.name}: produce ${formatRate(events)}`);
  let started = performance.now();
  // One send in flight, as a publisher that awaits each batch would.
  for (const batch of batches) await client.send(topic, batch);
  const produce = perSecond(events, performance.now() - started);

  progress(`${client.name}: consume ${formatRate(events)}`);
  const count = counter(events);
  const stop = await client.consume(topic, `${topic}-group`, count.onValue);
  // From the group join: connecting and joining are not reading.
  started = performance.now();
  await within(count.done, `${client.name} consume`);
  const consume = perSecond(events, performance.now() - started);
  await stop();
  return { produce, consume };
}

async function latency(client: Client, topic: string): Promise<Result['latency']> {
  const samples: number[] = [];
  const warm = counter(1);
  const count = counter(latencyMessages);
  const stop = await client.consume(topic, `${topic}-group`, (buffer) => {
    const { i, sentAt } = JSON.parse(buffer.toString()) as { i: number; sentAt: number };
    if (i < 0) return warm.onValue();
    samples.push(performance.now() - sentAt);
    count.onValue();
  });
  // A first message warms the producer and the fetch loop; it is not sampled.
  await client.send(topic, [{ topic, key: 'warm-up', value: value(-1) }]);
  await within(warm.done, `${client.name} warm-up`);
  progress(`${client.name}: latency, ${formatRate(latencyMessages)} at ${rate}/s`);
  // One send in flight: @platformatic/kafka 1.35's idempotent producer takes a
  // partition's sequence number when a send starts but advances it only on the
  // answer, so overlapping sends to one partition reuse a sequence and the
  // broker drops or refuses them (platformatic/kafka#326).
  const start = performance.now();
  for (let i = 0; i < latencyMessages; i++) {
    const wait = start + (i * 1000) / rate - performance.now();
    if (wait > 0) await sleep(wait);
    const message = { topic, key: `key-${i % KEYS}`, value: value(i, performance.now()) };
    await client.send(topic, [message]);
  }
  const achievedRate = perSecond(latencyMessages, performance.now() - start);
  await within(count.done, `${client.name} latency`);
  await stop();
  samples.sort((a, b) => a - b);
  return {
    p50: percentile(samples, 50),
    p99: percentile(samples, 99),
    max: samples[samples.length - 1] ?? Number.NaN,
    achievedRate,
  };
}

async function bench(open: () => Client | Promise<Client>): Promise<Result> {
  const client = await open();
  const run = `bench-${client.name.replace(/\W/g, '')}-${Date.now()}`;
  const created: string[] = [];
  const create = async (topic: string) => {
    await client.createTopic(topic);
    created.push(topic);
    return topic;
  };
  try {
    const { produce, consume } = await throughput(client, await create(`${run}-throughput`));
    return { produce, consume, latency: await latency(client, await create(`${run}-latency`)) };
  } finally {
    // Only at the end: KafkaJS's producer refreshes the metadata of every topic
    // it has sent to, and fails for good once one of them is gone.
    if (created.length > 0) await client.deleteTopics(created);
    await client.close();
  }
}

async function packageVersion(name: string): Promise<string> {
  const url = new URL(`../node_modules/${name}/package.json`, import.meta.url);
  return (JSON.parse(await readFile(url, 'utf8')) as { version: string }).version;
}

const kafkajs = await bench(kafkajsClient);
const platformatic = await bench(platformaticClient);
progress('');

const versions = {
  kafkajs: await packageVersion('kafkajs'),
  platformatic: await packageVersion('@platformatic/kafka'),
};
const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}×`;
const row = (name: string, r: Result) => [
  name,
  formatRate(r.produce),
  formatRate(r.consume),
  `${formatMs(r.latency.p50)} / ${formatMs(r.latency.p99)} / ${formatMs(r.latency.max)}`,
];
const cpu = cpus()[0]?.model.trim() ?? 'unknown CPU';
console.log(`\nKafka client comparison, ${new Date().toISOString().slice(0, 10)}`);
console.log(
  `machine: ${cpus().length} × ${cpu}, ${Math.round(totalmem() / 2 ** 30)} GiB RAM, Node ${process.versions.node}; broker ${brokers.join(',')}`,
);
console.log(`clients: kafkajs ${versions.kafkajs}, @platformatic/kafka ${versions.platformatic}`);
console.log(
  `${formatRate(events)} messages of ~${VALUE_BYTES}-byte JSON over ${formatRate(KEYS)} keys, ${PARTITIONS} partitions; idempotent producer, acks=all, ${formatRate(BATCH)} messages a send, one send in flight; consume = one group member from the beginning, timed from its group join`,
);
console.log(
  `latency: ${formatRate(latencyMessages)} single-message sends paced at ${rate}/s, one in flight (achieved: kafkajs ${formatRate(kafkajs.latency.achievedRate)}/s, platformatic ${formatRate(platformatic.latency.achievedRate)}/s), send timestamp in the value to the consumer's handler\n`,
);
console.log(
  table(
    [
      'client',
      'produce (msg/s)',
      'consume (msg/s)',
      `publish→consume at ${rate}/s, p50 / p99 / max (ms)`,
    ],
    [
      row(`kafkajs ${versions.kafkajs}`, kafkajs),
      row(`@platformatic/kafka ${versions.platformatic}`, platformatic),
      [
        'platformatic / kafkajs',
        ratio(platformatic.produce, kafkajs.produce),
        ratio(platformatic.consume, kafkajs.consume),
        (['p50', 'p99', 'max'] as const)
          .map((p) => ratio(platformatic.latency[p], kafkajs.latency[p]))
          .join(' / '),
      ],
    ],
  ),
);
