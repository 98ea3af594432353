/**
 * The ingress bridge against real Redis Pub/Sub, NATS and PostgreSQL, in
 * one process: messages land raw and once; a second bridge stands by and
 * takes over from a leader that stops, appending what it had not and
 * nothing twice; a deposed leader's append is refused by the fence; a
 * malformed message ends in the dead letters with its bytes; a provider
 * without the fence is refused.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { connect, type NatsConnection } from 'nats';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CheckpointLog, checkpointStream } from '../../src/bridge/checkpoint-log.js';
import type { Bridge } from '../../src/bridge/bridge.js';
import {
  bridgedBytes,
  bridgedJson,
  deadLetter,
  Millrace,
  natsSubjects,
  pglite,
  postgres,
  redisPubSub,
  type Event,
} from '../../src/index.js';
import { redis } from '../../src/redis.js';
import { memory } from '../../src/testing.js';
import {
  TEST_DATABASE_URL,
  assertPostgresReachable,
  dropSchema,
  uniqueSchema,
} from '../support/database.js';
import { TEST_REDIS_URL, checkRedis, dropPrefix, uniquePrefix } from '../support/redis.js';
import { recordingLogger, waitFor } from '../support/wait.js';

const NATS_URL = process.env.MILLRACE_TEST_NATS_URL ?? 'nats://127.0.0.1:4222';

let publisher: Redis;
const open: Millrace[] = [];
const schemas: string[] = [];

beforeAll(async () => {
  await assertPostgresReachable();
  await checkRedis();
  publisher = new Redis(TEST_REDIS_URL);
});
afterEach(async () => {
  await Promise.all(open.splice(0).map((m) => m.close()));
  await Promise.all(schemas.splice(0).map((s) => dropSchema(s)));
});
afterAll(() => publisher.disconnect());

async function openPostgres(schema?: string): Promise<Millrace> {
  if (schema === undefined) {
    schema = uniqueSchema('bridge');
    schemas.push(schema);
  }
  const millrace = await Millrace.open({
    provider: postgres({ connectionString: TEST_DATABASE_URL, schema }),
    logger: recordingLogger(),
  });
  open.push(millrace);
  return millrace;
}

async function readAll(millrace: Millrace, category: string): Promise<Event[]> {
  const events: Event[] = [];
  let after: string | undefined;
  for (;;) {
    const page = await millrace.read({ sequence: { category }, after, limit: 1000 });
    events.push(...page.events);
    after = page.next;
    if (!page.hasMore) return events;
  }
}

function startBridge(millrace: Millrace, channel: string, extra: { leaseMs?: number } = {}) {
  const bridge = millrace.bridge({
    name: 'ingress',
    source: redisPubSub({ url: TEST_REDIS_URL, channels: [channel] }),
    to: 'reading',
    leaseMs: extra.leaseMs ?? 1000,
  });
  return bridge;
}

async function leading(bridge: Bridge): Promise<void> {
  await waitFor(() => bridge.status().role === 'leader', 'the bridge to lead');
}

/** A bridge on a channel of its own that has taken over. */
async function leadingBridge(millrace: Millrace): Promise<{ bridge: Bridge; channel: string }> {
  const channel = `ch-${randomUUID()}`;
  const bridge = startBridge(millrace, channel);
  await bridge.start();
  await leading(bridge);
  await waitFor(() => bridge.status().takeovers === 1, 'the takeover');
  return { bridge, channel };
}

describe('a bridge from Redis Pub/Sub into PostgreSQL', () => {
  it('lands every message raw, once, with its channel and arrival time', async () => {
    const millrace = await openPostgres();
    const { bridge, channel } = await leadingBridge(millrace);
    const sent = [
      Buffer.from('{"n":1}'),
      Buffer.from('not json at all'),
      Buffer.from([0xff, 0x00, 0xfe]),
      Buffer.from('with\u0000nul'),
    ];
    for (const bytes of sent) await publisher.publish(channel, bytes);
    await waitFor(async () => (await readAll(millrace, 'reading')).length === 4, '4 events');
    const events = await readAll(millrace, 'reading');
    expect(events.map((e) => bridgedBytes(e))).toEqual(sent);
    expect(events.map((e) => (e.metadata.bridge as { encoding: string }).encoding)).toEqual([
      'utf8',
      'utf8',
      'base64',
      'base64',
    ]);
    for (const event of events) {
      expect(event.metadata.bridge).toMatchObject({ name: 'ingress', source: 'redis', channel });
      expect(event.subject).toBe(channel.replace(/[^A-Za-z0-9_-]/g, '_'));
    }
    expect(bridgedJson(events[0] as Event)).toEqual({ ok: true, value: { n: 1 } });
    expect(bridgedJson(events[1] as Event).ok).toBe(false);
    expect(bridge.status()).toMatchObject({ role: 'leader', received: 4, appended: 4, dropped: 0 });
  });

  it('hands over to a standby that appends what the leader had not, and nothing twice', async () => {
    const schema = uniqueSchema('bridge');
    schemas.push(schema);
    const first = await openPostgres(schema);
    const second = await openPostgres(schema);
    const channel = `ch-${randomUUID()}`;
    const a = startBridge(first, channel);
    await a.start();
    await leading(a);
    const b = startBridge(second, channel);
    await b.start();
    for (let i = 0; i < 200; i += 1) await publisher.publish(channel, `{"i":${i}}`);
    await waitFor(() => b.status().received === 200, 'the standby to hear 200');
    expect(b.status().role).toBe('standby');
    await a.stop();
    await leading(b);
    for (let i = 200; i < 400; i += 1) await publisher.publish(channel, `{"i":${i}}`);
    await waitFor(async () => (await readAll(second, 'reading')).length >= 400, '400 events');
    const seen = (await readAll(second, 'reading')).map(
      (e) => (JSON.parse(e.data as string) as { i: number }).i,
    );
    expect(seen).toEqual([...Array(400).keys()]);
    expect(b.status().takeovers).toBe(1);
    expect(b.status().unaligned).toBe(0);
  });

  it('refuses a deposed leader its append: the fence is in the log', async () => {
    const millrace = await openPostgres();
    const { bridge, channel } = await leadingBridge(millrace);
    // Someone newer starts a term in the checkpoint stream, as a new leader would.
    const rival = new CheckpointLog(millrace, 'ingress');
    const latest = await rival.latest();
    expect(latest).toBeDefined();
    const counts = { received: 0, appended: 0, deduplicated: 0, dropped: 0 };
    const rivalTerm = {
      kind: 'term' as const,
      term: 999,
      leader: { holder: 'rival', host: 'elsewhere', pid: 1 },
      since: Date.now(),
      batch: 0,
      count: 0,
      tail: latest?.checkpoint.tail ?? [],
      counts,
    };
    expect(await rival.append([], rivalTerm, latest?.version ?? -1)).toBe(true);
    await publisher.publish(channel, 'after the rival');
    await waitFor(() => bridge.status().role === 'standby', 'the deposed leader to stand by');
    expect(await readAll(millrace, 'reading')).toEqual([]);
    const after = await rival.latest();
    expect(after?.checkpoint.leader.holder).toBe('rival');
    expect(checkpointStream('ingress')).toBe('millrace_bridge-ingress');
  });

  it('sends a malformed message to the dead letters with its bytes', async () => {
    const millrace = await openPostgres();
    const { channel } = await leadingBridge(millrace);
    const handled: unknown[] = [];
    const consumer = millrace.consumer({
      name: 'readings',
      sequence: { category: 'reading' },
      handler: (event) => {
        const parsed = bridgedJson(event);
        if (!parsed.ok) return deadLetter(parsed.reason);
        handled.push(parsed.value);
        return undefined;
      },
    });
    await consumer.start();
    await publisher.publish(channel, '{"ok":true}');
    await publisher.publish(channel, '{"broken":');
    await waitFor(
      async () => (await millrace.deadLetters.list({ consumer: 'readings' })).records.length === 1,
      'a dead letter',
    );
    await waitFor(() => handled.length === 1, 'the good message handled');
    const [letter] = (await millrace.deadLetters.list({ consumer: 'readings' })).records;
    expect(letter?.lastError?.message).toMatch(/malformed message/);
    expect(bridgedBytes(letter?.event as Event).toString()).toBe('{"broken":');
    await consumer.stop();
  });
});

describe('a bridge from NATS core subjects', () => {
  let nats: NatsConnection;
  beforeAll(async () => {
    nats = await connect({ servers: NATS_URL }).catch((error: unknown) => {
      throw new Error(
        `NATS does not answer at ${NATS_URL} (${String(error)}): start nats-server -js, or set MILLRACE_TEST_NATS_URL`,
      );
    });
  });
  afterAll(() => nats.close());

  it('lands what is sent to matching subjects, into the Redis provider too', async () => {
    const prefix = uniquePrefix('bridge');
    const millrace = await Millrace.open({
      provider: redis({ url: TEST_REDIS_URL, prefix }),
      logger: recordingLogger(),
    });
    open.push(millrace);
    const root = `sensors${randomUUID().slice(0, 8)}`;
    const bridge = millrace.bridge({
      name: 'nats-in',
      source: natsSubjects({ servers: NATS_URL, subjects: [`${root}.>`] }),
      to: 'sensor',
    });
    try {
      await bridge.start();
      await leading(bridge);
      for (let i = 0; i < 50; i += 1)
        nats.publish(`${root}.temp.${i % 3}`, Buffer.from(`{"i":${i}}`));
      await nats.flush();
      const events: Event[] = [];
      await waitFor(async () => {
        events.length = 0;
        const page = await millrace
          .read({ sequence: { category: 'sensor' }, limit: 1000, partition: undefined })
          .catch(() => undefined);
        if (page !== undefined) events.push(...page.events);
        return bridge.status().appended === 50;
      }, '50 appended');
      expect(bridge.status()).toMatchObject({ received: 50, appended: 50 });
    } finally {
      await millrace.close();
      await dropPrefix(prefix);
    }
  });
});

describe('embedded PGlite', () => {
  it('hosts a bridge in its one process', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'millrace-bridge-'));
    try {
      const millrace = await Millrace.open({
        provider: pglite({ dataDir }),
        logger: recordingLogger(),
      });
      open.push(millrace);
      const { bridge, channel } = await leadingBridge(millrace);
      await publisher.publish(channel, 'embedded');
      await waitFor(() => bridge.status().appended === 1, 'one appended');
      const [event] = await readAll(millrace, 'reading');
      expect(bridgedBytes(event as Event).toString()).toBe('embedded');
      await millrace.close();
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe('the in-memory provider', () => {
  it('hosts a bridge too', async () => {
    const millrace = await Millrace.open({ provider: memory(), logger: recordingLogger() });
    open.push(millrace);
    const { bridge, channel } = await leadingBridge(millrace);
    await publisher.publish(channel, 'hello');
    await waitFor(() => bridge.status().appended === 1, 'one appended');
    const [event] = await readAll(millrace, 'reading');
    expect(bridgedBytes(event as Event).toString()).toBe('hello');
  });
});
