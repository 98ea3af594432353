/**
 * What is particular to the Kafka provider, on the real broker: positions
 * per partition (a consumer starting at the end starts at each partition's
 * own end), records other producers wrote, the partition count fixed by the
 * topic, a reset that Kafka allows only while the group is empty, and a
 * clear error when no broker answers. What every provider does alike is in
 * the conformance suite.
 */
import { randomUUID } from 'node:crypto';
import { Admin, ProduceAcks, Producer } from '@platformatic/kafka';
import { afterEach, describe, expect, it } from 'vitest';
import {
  ConflictError,
  ConnectionError,
  Millrace,
  ValidationError,
  UnsupportedError,
  kafka,
  redisPubSub,
  type Event,
} from '../../src/index.js';
import { kafkaBrokers } from '../support/kafka.js';
import { recordingLogger, waitFor } from '../support/wait.js';

const brokers = kafkaBrokers();
const opened: Millrace[] = [];

async function open(prefix: string): Promise<Millrace> {
  const millrace = await Millrace.open({
    logger: recordingLogger(),
    provider: kafka({ brokers, prefix }),
  });
  opened.push(millrace);
  return millrace;
}

const newPrefix = () => `int${randomUUID().slice(0, 8)}`;

afterEach(async () => {
  await Promise.all(opened.splice(0).map((m) => m.close()));
});

describe('kafka provider', () => {
  it('refuses an ingress bridge: no expected versions to fence it with', async () => {
    const millrace = await open(newPrefix());
    const bridge = millrace.bridge({
      name: 'ingress',
      source: redisPubSub({ url: 'redis://127.0.0.1:6379', channels: ['never-subscribed'] }),
      to: 'reading',
    });
    const refused = await bridge.start().catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(UnsupportedError);
    expect(refused).toMatchObject({ reason: 'bridge_unsupported' });
    expect(bridge.status().role).toBe('stopped');
  });

  it('starts a consumer at each partition’s own end with startFrom: end', async () => {
    const millrace = await open(newPrefix());
    await millrace.publishBatch(
      Array.from({ length: 40 }, (_, i) => ({
        stream: `order-${i}`,
        subject: 'order.old',
        data: {},
      })),
    );
    const seen: Event[] = [];
    const consumer = millrace.consumer({
      name: 'late',
      sequence: { category: 'order' },
      startFrom: 'end',
      handler: (event) => void seen.push(event),
    });
    await consumer.start();
    await millrace.publishBatch(
      Array.from({ length: 40 }, (_, i) => ({
        stream: `order-${i}`,
        subject: 'order.new',
        data: {},
      })),
    );
    await waitFor(() => seen.length >= 40, 'the 40 new events', 30_000);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(seen.map((e) => e.subject)).toEqual(new Array(40).fill('order.new'));
  });

  it('hands handlers records another Kafka producer wrote, with the key as stream', async () => {
    const prefix = newPrefix();
    const millrace = await open(prefix);
    const topic = `${prefix}.sensor`;
    const admin = new Admin({ clientId: 'int', bootstrapBrokers: brokers });
    await admin.createTopics({ topics: [topic], partitions: 8, replicas: -1 });
    await admin.close();
    const producer = new Producer({
      clientId: 'int',
      bootstrapBrokers: brokers,
      idempotent: true,
      acks: ProduceAcks.ALL,
    });
    await producer.send({
      messages: [
        { topic, key: Buffer.from('sensor-1'), value: Buffer.from('{"celsius":21}') },
        { topic, key: Buffer.from('sensor-1'), value: Buffer.from('not json') },
      ],
    });
    await producer.close();
    const seen: Event[] = [];
    const consumer = millrace.consumer({
      name: 'sensors',
      sequence: { category: 'sensor' },
      handler: (event) => void seen.push(event),
    });
    await consumer.start();
    await waitFor(() => seen.length === 2, 'the two foreign records', 30_000);
    expect(seen.map((e) => [e.stream, e.category, e.subject, e.data])).toEqual([
      ['sensor-1', 'sensor', 'kafka.record', { celsius: 21 }],
      ['sensor-1', 'sensor', 'kafka.record', 'not json'],
    ]);
    expect(new Set(seen.map((e) => e.id)).size).toBe(2);
  });

  it('refuses a partition count other than the topic’s, saying which', async () => {
    const millrace = await open(newPrefix());
    await millrace.publish({ stream: 'order-1', subject: 'order.placed', data: {} });
    const consumer = millrace.consumer({
      name: 'four',
      sequence: { category: 'order' },
      partitions: 4,
      handler: () => undefined,
    });
    const failure = await consumer.start().catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ValidationError);
    expect((failure as ValidationError).message).toMatch(/has 8 partitions/);
  });

  it('resets only while the group has no members, then replays', async () => {
    const millrace = await open(newPrefix());
    await millrace.publishBatch(
      Array.from({ length: 20 }, (_, i) => ({
        stream: `order-${i}`,
        subject: 'order.placed',
        data: {},
      })),
    );
    let handled = 0;
    const options = {
      name: 'replayed',
      sequence: { category: 'order' },
      handler: () => void handled++,
    };
    const first = millrace.consumer(options);
    await first.start();
    await waitFor(() => handled === 20, 'the first pass', 30_000);
    const refused = await millrace.resetConsumer('replayed', 'beginning').catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ConflictError);
    await first.stop();
    await millrace.resetConsumer('replayed', 'beginning');
    const second = millrace.consumer(options);
    await second.start();
    await waitFor(() => handled === 40, 'the replay', 30_000);
    await second.stop();
  });

  it('keeps API keys in a compacted topic every instance sees: made, verified, revoked', async () => {
    const prefix = newPrefix();
    const one = await open(prefix);
    const two = await open(prefix);
    expect(await two.keys.anyActive()).toBe(false);
    const created = await one.keys.create({ name: 'ops', scopes: ['admin'] });
    expect(await two.keys.verify(created.key)).toMatchObject({ id: created.id, name: 'ops' });
    expect(await two.keys.verify(`${created.key.slice(0, -1)}x`)).toBeUndefined();
    await two.keys.revoke(created.id);
    expect(await one.keys.verify(created.key)).toBeUndefined();
    expect(await one.keys.anyActive()).toBe(false);
    const [listed] = await one.keys.list();
    expect(listed).toMatchObject({ id: created.id, name: 'ops' });
    expect(listed?.revokedAt).toBeInstanceOf(Date);
  });

  it('fails to open with a ConnectionError naming the brokers and how to start one', async () => {
    const failure = await Millrace.open({
      logger: recordingLogger(),
      provider: kafka({ brokers: ['127.0.0.1:1'] }),
    }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ConnectionError);
    expect((failure as Error).message).toMatch(/127\.0\.0\.1:1.*scripts\/kafka\/kafka\.sh start/);
  });
});
