/**
 * Run as a child process: opens the provider named in argv[2] through the
 * public entry point, publishes and reads one event, closes, and prints one
 * JSON line saying how it went (a Kafka or Redis provider with no server
 * fails to connect, which is enough: its client must have loaded by then).
 */
import { Millrace, kafka, pglite, postgres } from '../../../src/index.js';
import { redis } from '../../../src/redis.js';

const kind = process.argv[2];
const factory =
  kind === 'postgres'
    ? postgres({ connectionString: process.argv[3] ?? '', schema: process.argv[4] })
    : kind === 'pglite'
      ? pglite()
      : kind === 'redis'
        ? redis({ url: 'redis://127.0.0.1:1' })
        : kafka({ brokers: ['127.0.0.1:1'] });
try {
  const millrace = await Millrace.open({ provider: factory });
  await millrace.publish({ stream: 'load-1', subject: 'load.checked', data: {} });
  const page = await millrace.read();
  await millrace.close();
  console.log(JSON.stringify({ opened: true, events: page.events.length }));
} catch (error) {
  console.log(JSON.stringify({ opened: false, error: (error as Error).message }));
}
