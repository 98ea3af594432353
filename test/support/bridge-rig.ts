/**
 * Real bridge processes (`millrace bridge --json`) on one channel and one
 * log, a paced Redis publisher, and what the test needs to know of them:
 * who leads in which term, read from each process's own JSON lines, never
 * guessed from time.
 */
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { Redis } from 'ioredis';
import { CliProcess, tempDir } from './cli.js';
import type { BridgeLife, PublishedMessage } from './bridge-checker.js';
import { TEST_REDIS_URL } from './redis.js';
import { waitFor } from './wait.js';

interface BridgeLine {
  readonly event: string;
  readonly term?: number;
  readonly at: number;
  readonly [field: string]: unknown;
}

export class BridgeProcess {
  readonly cli: CliProcess;
  killed = false;
  frozen = false;
  private parsed = 0;
  private readonly seen: BridgeLine[] = [];

  constructor(args: readonly string[]) {
    this.cli = new CliProcess(args, { cwd: tempDir('millrace-bridge-') });
  }

  get pid(): number {
    return this.cli.child.pid as number;
  }

  /** Its JSON lines so far, each stamped with when the test read it. */
  lines(): readonly BridgeLine[] {
    const all = this.cli.stdout.split('\n');
    for (; this.parsed < all.length - 1; this.parsed++) {
      const text = all[this.parsed] as string;
      if (!text.startsWith('{')) continue;
      this.seen.push({ ...(JSON.parse(text) as BridgeLine), at: performance.now() });
    }
    return this.seen;
  }

  /** The term it leads in now, or undefined. */
  leadingTerm(): number | undefined {
    const last = this.lines().findLast((l) => l.event === 'leading' || l.event === 'standby');
    return last?.event === 'leading' ? last.term : undefined;
  }

  takeovers(): BridgeLine[] {
    return this.lines().filter((l) => l.event === 'takeover');
  }

  life(): BridgeLife {
    const started = this.lines().find((l) => l.event === 'started');
    return { pid: this.pid, startedAt: started?.at, killed: this.killed };
  }
}

export interface RigOptions {
  /** The log: `--database-url <url> --schema <s>` or `--redis <url> --redis-prefix <p>`. */
  readonly log: readonly string[];
  readonly channel: string;
  readonly category: string;
  /** More `millrace bridge` flags (`--keep 0ms`). */
  readonly extra?: readonly string[];
}

export class BridgeRig {
  readonly processes: BridgeProcess[] = [];

  constructor(private readonly options: RigOptions) {}

  /** Starts a bridge process and waits until it has subscribed. */
  async add(): Promise<BridgeProcess> {
    const { log, channel, category, extra = [] } = this.options;
    const bridge = new BridgeProcess([
      'bridge',
      '--from',
      TEST_REDIS_URL,
      '--channel',
      channel,
      '--to',
      category,
      '--json',
      ...log,
      ...extra,
    ]);
    this.processes.push(bridge);
    await waitFor(
      () => bridge.life().startedAt !== undefined,
      `bridge process ${bridge.pid} to subscribe:\n${bridge.cli.stderr}`,
      30_000,
    );
    return bridge;
  }

  /** The one live process that says it leads, with its term; waits for one. */
  async leader(): Promise<{ bridge: BridgeProcess; term: number }> {
    let found: { bridge: BridgeProcess; term: number } | undefined;
    await waitFor(() => {
      const leading = this.live()
        .filter((b) => !b.frozen)
        .map((bridge) => ({ bridge, term: bridge.leadingTerm() }))
        .filter((l): l is { bridge: BridgeProcess; term: number } => l.term !== undefined)
        .sort((a, b) => b.term - a.term);
      found = leading[0];
      return found !== undefined && found.bridge.takeovers().some((t) => t.term === found?.term);
    }, 'a bridge process to lead and take over');
    return found as { bridge: BridgeProcess; term: number };
  }

  /** Waits until a process other than `deposed` has taken over in a term after `term`. */
  async takeoverAfter(deposed: BridgeProcess, term: number): Promise<BridgeProcess> {
    let next: BridgeProcess | undefined;
    await waitFor(
      () => {
        next = this.live().find(
          (b) => b !== deposed && b.takeovers().some((t) => (t.term as number) > term),
        );
        return next !== undefined;
      },
      `a standby to take over from term ${term}`,
      30_000,
    );
    return next as BridgeProcess;
  }

  live(): BridgeProcess[] {
    return this.processes.filter((b) => !b.killed);
  }

  lives(): BridgeLife[] {
    return this.processes.map((b) => b.life());
  }

  async stopAll(): Promise<void> {
    for (const bridge of this.processes) {
      if (bridge.frozen) process.kill(bridge.pid, 'SIGCONT');
    }
    await Promise.all(this.live().map((b) => b.cli.stop('SIGTERM')));
  }
}

/** Publishes `{"seq":n}` at a steady rate, recording when each went out. */
export class PacedPublisher {
  readonly published: PublishedMessage[] = [];
  private readonly client = new Redis(TEST_REDIS_URL);
  private timer: NodeJS.Timeout | undefined;
  private done: (() => void) | undefined;

  private readonly pad: string;

  constructor(
    private readonly channel: string,
    private readonly perSecond: number,
    /** Characters of padding in each message, to make it this much larger. */
    padding = 0,
  ) {
    this.pad = padding === 0 ? '' : `,"pad":"${'x'.repeat(padding)}"`;
  }

  /** Resolves once `total` messages are out. */
  run(total: number): Promise<void> {
    const started = performance.now();
    return new Promise<void>((resolve) => {
      this.done = resolve;
      this.timer = setInterval(() => {
        const due = Math.min(
          total,
          Math.floor(((performance.now() - started) / 1000) * this.perSecond),
        );
        const pipeline = this.client.pipeline();
        for (let seq = this.published.length; seq < due; seq++) {
          pipeline.publish(this.channel, `{"seq":${seq}${this.pad}}`);
          this.published.push({ seq, at: performance.now() });
        }
        void pipeline.exec();
        if (this.published.length >= total) this.stop();
      }, 5);
    });
  }

  /** Resolves once `count` messages are out. */
  async reached(count: number): Promise<void> {
    await waitFor(() => this.published.length >= count, `${count} messages published`, 120_000);
  }

  stop(): void {
    clearInterval(this.timer);
    this.done?.();
  }

  async close(): Promise<void> {
    this.stop();
    await this.client.quit();
  }
}

export function uniqueChannel(): string {
  return `bridge-test-${randomUUID()}`;
}
