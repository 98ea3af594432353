/**
 * The publisher of the bridge benchmark, in a process of its own so that
 * it shares an event loop with neither the bridge nor the measuring parent.
 * Told to `send`, it PUBLISHes numbered messages in pipelines: at a rate
 * (each pipeline carrying what is due by now), or as fast as one pipeline
 * of 1000 after another goes; it reports the next number every 50 ms and a
 * summary when done (or told to `stop`). Started by publisher-handle.ts:
 *
 *   node --import tsx bench/bridge/publisher-process.ts '<PublisherArguments as JSON>'
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import {
  machineMs,
  messageText,
  type FromPublisher,
  type PublisherArguments,
  type ToPublisher,
} from './protocol.js';

const CHUNK = 1000;

const args = JSON.parse(process.argv[2] ?? '{}') as PublisherArguments;
const send = (message: FromPublisher) => {
  if (process.connected) process.send?.(message);
};
process.on('disconnect', () => process.exit(1));

const client = new Redis(args.url);
let stopping = false;

async function publish(from: number, count: number): Promise<void> {
  const pipeline = client.pipeline();
  for (let n = from; n < from + count; n += 1) {
    pipeline.publish(args.channel, messageText(n, machineMs()));
  }
  const results = (await pipeline.exec()) ?? [];
  const failed = results.find(([error]) => error !== null);
  if (failed) throw failed[0] as Error;
}

async function run(order: ToPublisher & { type: 'send' }): Promise<void> {
  const { from, count, rate } = order;
  const limit = count ?? Number.POSITIVE_INFINITY;
  let next = from;
  const progress = setInterval(() => send({ type: 'progress', next, at: machineMs() }), 50);
  const firstAt = machineMs();
  try {
    while (!stopping && next - from < limit) {
      const due =
        rate === 0 ? CHUNK : Math.floor((rate * (machineMs() - firstAt)) / 1000) - (next - from);
      const size = Math.min(due, CHUNK, limit - (next - from));
      if (size <= 0) {
        await sleep(1);
        continue;
      }
      await publish(next, size);
      next += size;
    }
  } finally {
    clearInterval(progress);
  }
  send({ type: 'sent', from, published: next - from, next, firstAt, lastAt: machineMs() });
}

process.on('message', (message: ToPublisher) => {
  if (message.type === 'stop') {
    stopping = true;
  } else if (message.type === 'exit') {
    client.disconnect();
    process.exit(0);
  } else {
    stopping = false;
    run(message).catch((error: unknown) => {
      send({ type: 'failed', message: (error as Error).stack ?? String(error) });
      process.exit(1);
    });
  }
});

await client.ping();
send({ type: 'ready' });
