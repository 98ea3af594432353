/**
 * The parent's side of a bridge process and of the publisher process: the
 * last status each reported, what a bridge heard and signalled, and ways to
 * wait for what they say next.
 */
import { fileURLToPath } from 'node:url';
import { Child } from './children.js';
import type {
  BridgeArguments,
  BridgeReport,
  BridgeSignal,
  FromBridge,
  FromPublisher,
  PublisherArguments,
  ToBridge,
  ToPublisher,
} from './protocol.js';
import { Ranges } from './ranges.js';

const BRIDGE_SCRIPT = fileURLToPath(new URL('./bridge-process.ts', import.meta.url));
const PUBLISHER_SCRIPT = fileURLToPath(new URL('./publisher-process.ts', import.meta.url));

type SignalMessage = FromBridge & { type: 'signal' };
type StatusMessage = FromBridge & { type: 'status' };
export type Sent = FromPublisher & { type: 'sent' };

const START_MS = 60_000;

export class BridgeHandle {
  readonly child: Child<ToBridge, FromBridge>;
  status: BridgeReport | undefined;
  /** The most messages waiting for an append in any report since `resetBacklog`. */
  maxBacklog = 0;
  readonly heard = new Ranges();
  readonly signals: SignalMessage[] = [];
  /**
   * When the parent SIGKILLed it (machineMs), as which kill (0, 1, ...),
   * and the publisher's next number then (as last reported, within 50 ms).
   */
  killed: { at: number; index: number; next: number } | undefined;

  private constructor(args: BridgeArguments, label: string) {
    this.child = new Child(BRIDGE_SCRIPT, args, label);
    this.child.onMessage((message) => {
      if (message.type === 'status') {
        this.status = message.status;
        this.maxBacklog = Math.max(this.maxBacklog, message.status.unappended);
        message.heard.forEach((range) => this.heard.addRange(range));
      } else if (message.type === 'signal') {
        this.signals.push(message);
      }
    });
  }

  static async start(args: BridgeArguments, label: string): Promise<BridgeHandle> {
    const handle = new BridgeHandle(args, label);
    try {
      await handle.child.next((m) => m.type === 'ready', START_MS, 'ready');
      await handle.child.next((m) => m.type === 'status', START_MS, 'a status');
    } catch (error) {
      handle.child.kill();
      throw error;
    }
    return handle;
  }

  get label(): string {
    return this.child.label;
  }

  resetBacklog(): void {
    this.maxBacklog = this.status?.unappended ?? 0;
  }

  /** The first status (the last one, or one to come) that `test` accepts. */
  async waitStatus(
    test: (status: BridgeReport) => boolean,
    timeoutMs: number,
    what: string,
  ): Promise<BridgeReport> {
    if (this.status !== undefined && test(this.status)) return this.status;
    const message = await this.child.next<StatusMessage>(
      (m) => m.type === 'status' && test(m.status),
      timeoutMs,
      what,
    );
    return message.status;
  }

  /** The first `signal` reported after `after` (machineMs), already reported or to come. */
  async nextSignal(signal: BridgeSignal, after: number, timeoutMs: number): Promise<SignalMessage> {
    const test = (m: FromBridge) => m.type === 'signal' && m.signal === signal && m.at > after;
    const seen = this.signals.find(test);
    if (seen !== undefined) return seen;
    return this.child.next<SignalMessage>(test, timeoutMs, `a ${signal} signal`);
  }

  /** Stops it gracefully (the leader appends what it holds first), or kills it after 15 s. */
  stop(): Promise<void> {
    return this.child.stop({ type: 'stop' }, 15_000);
  }
}

export class Publisher {
  readonly child: Child<ToPublisher, FromPublisher>;
  /** The next sequence number, as last reported while sending. */
  next = 0;

  private constructor(args: PublisherArguments) {
    this.child = new Child(PUBLISHER_SCRIPT, args, 'publisher');
    this.child.onMessage((message) => {
      if (message.type === 'progress' || message.type === 'sent') this.next = message.next;
    });
  }

  static async start(args: PublisherArguments): Promise<Publisher> {
    const publisher = new Publisher(args);
    await publisher.child.next((m) => m.type === 'ready', START_MS, 'ready');
    return publisher;
  }

  /**
   * Publishes `count` messages numbered from `from` at `rate` a second (0:
   * as fast as it goes; count null: until `stop`); resolves when done.
   */
  send(from: number, count: number | null, rate: number): Promise<Sent> {
    const sent = this.child.next<Sent>((m) => m.type === 'sent', 24 * 3600_000, 'the sends');
    this.child.send({ type: 'send', from, count, rate });
    return sent;
  }

  stop(): void {
    this.child.send({ type: 'stop' });
  }

  close(): Promise<void> {
    return this.child.stop({ type: 'exit' }, 5000);
  }
}
