/**
 * One measured setup: a fresh place (schema or key prefix), millrace open on
 * it in this process (which migrates it before any bridge opens it), bridge
 * processes on a Pub/Sub channel of the run's own, and a publisher process.
 * Whatever happens, the processes are stopped and the place removed.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { bridgedBytes, type Millrace } from '../../src/index.js';
import { BridgeHandle, Publisher } from './handles.js';
import {
  destroyPlace,
  forEachEvent,
  newPlace,
  openLog,
  REDIS_URL,
  type LogKind,
  type LogPlace,
} from './places.js';
import { sequenceOf, type BridgeArguments, type BridgeReport } from './protocol.js';

export const CATEGORY = 'reading';

export interface RigOptions {
  readonly bridges: number;
  readonly leaseMs: number;
  /** Bridges report the sequence numbers they hear. */
  readonly track: boolean;
}

export interface Rig {
  readonly place: LogPlace;
  readonly millrace: Millrace;
  readonly publisher: Publisher;
  /** Every bridge process started, living or not, in the order they became ready. */
  readonly bridges: BridgeHandle[];
  /** Starts one more bridge process; resolves once it is subscribed. */
  addBridge(): Promise<BridgeHandle>;
  /** The one living bridge that reports leading. */
  leader(timeoutMs: number): Promise<BridgeHandle>;
}

export async function withRig<T>(
  kind: LogKind,
  options: RigOptions,
  run: (rig: Rig) => Promise<T>,
): Promise<T> {
  const place = newPlace(kind);
  const bridges: BridgeHandle[] = [];
  let millrace: Millrace | undefined;
  let publisher: Publisher | undefined;
  try {
    millrace = await openLog(place);
    const args: BridgeArguments = {
      place,
      channel: `bench-bridge-${randomUUID()}`,
      name: 'bench',
      category: CATEGORY,
      leaseMs: options.leaseMs,
      track: options.track,
    };
    let started = 0;
    const addBridge = async () => {
      const bridge = await BridgeHandle.start(args, `bridge ${++started}`);
      bridges.push(bridge);
      return bridge;
    };
    await Promise.all(Array.from({ length: options.bridges }, addBridge));
    publisher = await Publisher.start({ url: REDIS_URL, channel: args.channel });
    const rig: Rig = {
      place,
      millrace,
      publisher,
      bridges,
      addBridge,
      leader: (timeoutMs) => leaderOf(bridges, timeoutMs),
    };
    return await run(rig);
  } finally {
    await publisher?.close().catch(() => undefined);
    await Promise.all(bridges.map((bridge) => bridge.stop().catch(() => undefined)));
    await millrace?.close().catch(() => undefined);
    await destroyPlace(place);
  }
}

async function leaderOf(bridges: readonly BridgeHandle[], timeoutMs: number) {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const leaders = bridges.filter((b) => b.child.alive && b.status?.role === 'leader');
    if (leaders.length === 1) return leaders[0] as BridgeHandle;
    if (performance.now() > deadline) {
      throw new Error(`${leaders.length} bridges lead after ${timeoutMs} ms (expected one)`);
    }
    await sleep(20);
  }
}

/**
 * The bridge's status once it has received `received` messages in all and
 * appended every one; or, when fewer arrive (Pub/Sub dropped some), once it
 * has appended all it holds and nothing changed for `quietMs`.
 */
export async function settle(
  bridge: BridgeHandle,
  received: number,
  quietMs = 2000,
  stallMs = 120_000,
): Promise<BridgeReport> {
  let last = '';
  let changedAt = performance.now();
  for (;;) {
    const status = bridge.status;
    if (!bridge.child.alive || status === undefined) throw new Error(`${bridge.label} is gone`);
    if (status.received >= received && status.unappended === 0) return status;
    const now = performance.now();
    const key = `${status.received}/${status.appended}`;
    if (key !== last) {
      last = key;
      changedAt = now;
    } else if (status.unappended === 0 && now - changedAt > quietMs) {
      return status;
    } else if (now - changedAt > stallMs) {
      throw new Error(
        `${bridge.label} stalled at ${status.received} received, ${status.appended} appended`,
      );
    }
    await sleep(50);
  }
}

/** How many times each sequence number from 0 to `count` - 1 is in the category. */
export async function copiesInLog(millrace: Millrace, count: number): Promise<Uint16Array> {
  const copies = new Uint16Array(count);
  await forEachEvent(millrace, CATEGORY, (event) => {
    const n = sequenceOf(bridgedBytes(event));
    if (n < 0 || n >= count) throw new Error(`event ${event.id} carries ${n}, never published`);
    copies[n] = Math.min(65_535, (copies[n] as number) + 1);
  });
  return copies;
}
