/**
 * One bridge process of the bridge benchmark: opens millrace on the place
 * the parent made, runs a bridge from a Redis Pub/Sub channel into it, and
 * reports over IPC every 50 ms (its status, and the sequence numbers it
 * heard when tracking), and at once on each signal, with the time on the
 * machine's monotonic clock. Started by bridge-handle.ts:
 *
 *   node --import tsx bench/bridge/bridge-process.ts '<BridgeArguments as JSON>'
 */
import { redisPubSub, type BridgeSource, type SourceListener } from '../../src/index.js';
import { openLog, REDIS_URL } from './places.js';
import {
  machineMs,
  sequenceOf,
  type BridgeArguments,
  type BridgeSignal,
  type FromBridge,
  type ToBridge,
} from './protocol.js';
import { Ranges } from './ranges.js';

const args = JSON.parse(process.argv[2] ?? '{}') as BridgeArguments;
const send = (message: FromBridge) => {
  if (process.connected) process.send?.(message);
};
/** Sends a last message, then exits once it has gone. */
const sendAndExit = (message: FromBridge, code: number) => {
  if (!process.connected) process.exit(code);
  process.send?.(message, undefined, {}, () => process.exit(code));
};
// The parent gone (it failed, or was killed): nobody is measuring any more.
process.on('disconnect', () => process.exit(1));

const heard = new Ranges();
let sourceDowns = 0;

/** The Redis source as the bridge sees it, telling this process what it hears and loses. */
function tapped(source: BridgeSource): BridgeSource {
  return {
    kind: source.kind,
    description: source.description,
    canPause: source.canPause,
    start: (listener: SourceListener) =>
      source.start({
        message(message) {
          if (args.track) heard.add(sequenceOf(message.bytes));
          listener.message(message);
        },
        connection(state, error) {
          if (state === 'down') sourceDowns += 1;
          listener.connection(state, error);
        },
      }),
    sync: () => source.sync(),
    pause: () => source.pause(),
    resume: () => source.resume(),
    close: () => source.close(),
  };
}

try {
  const millrace = await openLog(args.place);
  const bridge = millrace.bridge({
    name: args.name,
    source: tapped(redisPubSub({ url: REDIS_URL, channels: [args.channel] })),
    to: args.category,
    leaseMs: args.leaseMs,
  });
  let lastAppendedAt = 0;
  let firstAppendPending = false;

  const report = () => {
    const status = bridge.status();
    send({
      type: 'status',
      status: {
        role: status.role,
        received: status.received,
        appended: status.appended,
        dropped: status.dropped,
        unappended: status.buffer.unappended,
        takeovers: status.takeovers,
        unaligned: status.unaligned,
        lastAppendedAt,
        sourceDowns,
      },
      heard: heard.drain(),
    });
  };
  const signal = (name: BridgeSignal, extra: Partial<FromBridge & { type: 'signal' }> = {}) => {
    send({ type: 'signal', signal: name, at: machineMs(), ...extra });
    report();
  };

  bridge.signals.on('leading', () => signal('leading'));
  bridge.signals.on('standby', () => signal('standby'));
  bridge.signals.on('takeover', (takeover) => {
    firstAppendPending = true;
    signal('takeover', {
      takeover: {
        resumed: takeover.resumed,
        deduplicated: takeover.deduplicated,
        aligned: takeover.aligned,
      },
    });
  });
  bridge.signals.on('appended', () => {
    lastAppendedAt = machineMs();
    if (firstAppendPending) {
      firstAppendPending = false;
      signal('first-append');
    }
  });
  bridge.signals.on('failed', (error) => send({ type: 'failed', message: error.message }));

  await bridge.start();
  const reporter = setInterval(report, 50);
  process.on('message', (message: ToBridge) => {
    if (message.type !== 'stop') return;
    void (async () => {
      await bridge.stop();
      clearInterval(reporter);
      report();
      await millrace.close();
      sendAndExit({ type: 'stopped' }, 0);
    })();
  });
  send({ type: 'ready', pid: process.pid });
} catch (error) {
  sendAndExit({ type: 'failed', message: (error as Error).stack ?? String(error) }, 1);
}
