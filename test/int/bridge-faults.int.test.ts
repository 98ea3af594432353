/**
 * The bridge when things fail, against real Redis Pub/Sub: a standby
 * follows the leader's checkpoints (what they show is in the log may go);
 * while the log cannot take messages, a full buffer drops the oldest and
 * counts them, pauses reading, or stops the bridge, as configured; and a
 * cut subscription steps its process down, reconnects with backoff and
 * subscribes again. The log is the in-memory provider, made unreachable by
 * killing it as a process dies.
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Bridge } from '../../src/bridge/bridge.js';
import { Millrace, redisPubSub, type FullBufferPolicy } from '../../src/index.js';
import { memory, type MemoryProvider } from '../../src/testing.js';
import { TEST_REDIS_URL, checkRedis } from '../support/redis.js';
import { recordingLogger, waitFor } from '../support/wait.js';

let publisher: Redis;
const open: Millrace[] = [];

beforeAll(async () => {
  await checkRedis();
  publisher = new Redis(TEST_REDIS_URL);
});
afterEach(async () => {
  await Promise.all(open.splice(0).map((m) => m.close().catch(() => undefined)));
});
afterAll(() => publisher.disconnect());

async function openMemory(): Promise<Millrace> {
  const millrace = await Millrace.open({ provider: memory(), logger: recordingLogger() });
  open.push(millrace);
  return millrace;
}

function bridgeOn(
  millrace: Millrace,
  channel: string,
  extra: { whenFull?: FullBufferPolicy; connectionName?: string; bufferBytes?: number } = {},
): Bridge {
  return millrace.bridge({
    name: 'faults',
    source: redisPubSub({
      url: TEST_REDIS_URL,
      channels: [channel],
      connectionName: extra.connectionName,
      reconnectMs: { first: 20, max: 200 },
    }),
    to: 'reading',
    // Renewed only after 20 s: the leader stays one while its log is gone.
    leaseMs: 60_000,
    campaignIntervalMs: 50,
    bufferBytes: extra.bufferBytes ?? 1024,
    keepMs: 0,
    whenFull: extra.whenFull,
  });
}

async function leaderWithDeadLog(
  whenFull: FullBufferPolicy,
): Promise<{ bridge: Bridge; channel: string }> {
  const millrace = await openMemory();
  const channel = `ch-${randomUUID()}`;
  const bridge = bridgeOn(millrace, channel, { whenFull });
  await bridge.start();
  await waitFor(() => bridge.status().takeovers === 1, 'the takeover');
  await (millrace.provider as MemoryProvider).kill();
  return { bridge, channel };
}

/** 40 messages of 100 bytes: about four times the 1 KiB bound with their overhead. */
async function flood(channel: string): Promise<void> {
  for (let i = 0; i < 40; i++) await publisher.publish(channel, `${i}`.padEnd(100, '.'));
}

describe('a standby', () => {
  it("lets go of what the leader's checkpoints show is in the log", async () => {
    const millrace = await openMemory();
    const channel = `ch-${randomUUID()}`;
    const leader = bridgeOn(millrace, channel);
    await leader.start();
    await waitFor(() => leader.status().takeovers === 1, 'the takeover');
    const follower = bridgeOn(millrace, channel);
    await follower.start();
    for (let i = 0; i < 5; i++) await publisher.publish(channel, `m${i}`);
    await waitFor(() => leader.status().appended === 5, 'the leader to append 5');
    await waitFor(() => follower.status().received === 5, 'the standby to hear 5');
    await waitFor(
      () => follower.status().buffer.unappended === 0,
      "the standby to see the leader's 5 in the log",
    );
    expect(follower.status().role).toBe('standby');
    // keepMs 0: what is known to be in the log goes at the next trim, but for the newest.
    expect(follower.status().buffer.messages).toBeLessThanOrEqual(1);
  });
});

describe('a full buffer while the log is unreachable', () => {
  it('drops the oldest and counts them (drop-oldest)', async () => {
    const { bridge, channel } = await leaderWithDeadLog('drop-oldest');
    await flood(channel);
    await waitFor(() => bridge.status().received === 40, '40 heard');
    const status = bridge.status();
    expect(status.dropped).toBeGreaterThan(0);
    expect(status.buffer.bytes).toBeLessThanOrEqual(1024);
    expect(status.dropped + status.buffer.unappended).toBe(40);
    expect(status.log.reachable).toBe(false);
  });

  it('stops reading from the source (block)', async () => {
    const { bridge, channel } = await leaderWithDeadLog('block');
    await flood(channel);
    await waitFor(() => bridge.status().blocked, 'reading to pause');
    expect(bridge.status().dropped).toBe(0);
  });

  it('stops the bridge with a typed error (crash)', async () => {
    const { bridge, channel } = await leaderWithDeadLog('crash');
    const failed = new Promise<Error>((resolve) => bridge.signals.once('failed', resolve));
    await flood(channel);
    const error = await failed;
    expect(error).toMatchObject({ code: 'overloaded', reason: 'bridge_buffer_full' });
    await waitFor(() => bridge.status().role === 'stopped', 'the bridge to stop');
  });
});

describe('a message too large for the log', () => {
  it('is let go and counted, and the messages after it land', async () => {
    const logger = recordingLogger();
    const millrace = await Millrace.open({ provider: memory(), logger, maxEventBytes: 2048 });
    open.push(millrace);
    const channel = `ch-${randomUUID()}`;
    // Room for it in the buffer: it is the log that refuses it.
    const bridge = bridgeOn(millrace, channel, { bufferBytes: 1024 * 1024 });
    await bridge.start();
    await waitFor(() => bridge.status().takeovers === 1, 'the takeover');
    await publisher.publish(channel, 'x'.repeat(4096));
    await publisher.publish(channel, 'small');
    await waitFor(() => bridge.status().appended === 1, 'the small one appended');
    expect(bridge.status()).toMatchObject({ received: 2, appended: 1, dropped: 1 });
    const page = await millrace.read({ sequence: { category: 'reading' } });
    expect(page.events.map((e) => e.data)).toEqual(['small']);
    expect(logger.lines.map((l) => l.message)).toContain(
      'bridge dropped messages the log cannot store as events',
    );
  });
});

describe('a cut subscription', () => {
  it('steps its leader down, reconnects, subscribes again and appends once more', async () => {
    const millrace = await openMemory();
    const channel = `ch-${randomUUID()}`;
    const name = `bridge-${randomUUID().slice(0, 8)}`;
    const bridge = bridgeOn(millrace, channel, { connectionName: name });
    await bridge.start();
    await waitFor(() => bridge.status().takeovers === 1, 'the takeover');
    await publisher.publish(channel, 'before');
    await waitFor(() => bridge.status().appended === 1, 'one appended');
    const list = (await publisher.client('LIST')) as string;
    const line = list.split('\n').find((l) => l.includes(` name=${name} `));
    expect(line, `a client named ${name} in CLIENT LIST`).toBeDefined();
    const clientId = /id=(\d+)/.exec(line as string)?.[1] as string;
    await publisher.client('KILL', 'ID', clientId);
    await waitFor(() => bridge.status().takeovers === 2, 'a second takeover after the reconnect');
    await waitFor(
      async () => (await publisher.publish(channel, 'after')) > 0 && bridge.status().appended >= 2,
      'a message after the reconnect',
    );
    expect(bridge.status().source.connected).toBe(true);
  });
});
