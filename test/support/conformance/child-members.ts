/**
 * The parent's handle on conformance member processes (member.ts): spawn
 * one on a target's process spec, collect its lines, wait for what it says,
 * kill it (-9) or stop it (SIGTERM), and make sure none outlives its test.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { ChildLine } from './member.js';
import type { ProviderSpec } from './provider-spec.js';
import { waitFor } from '../wait.js';
import type { Handling } from './workload.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const SCRIPT = fileURLToPath(new URL('./member.ts', import.meta.url));

export interface ChildMemberOptions {
  readonly spec: ProviderSpec;
  readonly consumer: string;
  readonly category: string;
  readonly sessionTimeoutMs: number;
  /** How its handlings are labelled. */
  readonly label: string;
}

const everyChild = new Set<ChildMember>();

export class ChildMember {
  readonly label: string;
  readonly handlings: Handling[] = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly lines: ChildLine[] = [];
  private readonly stderr: string[] = [];
  private readonly listeners = new Set<() => void>();
  /** Killed or stopped by the parent: its exit is no failure. */
  private ended = false;

  constructor(options: ChildMemberOptions) {
    this.label = options.label;
    this.child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        SCRIPT,
        '--spec',
        JSON.stringify(options.spec),
        '--consumer',
        options.consumer,
        '--category',
        options.category,
        '--session-timeout-ms',
        String(options.sessionTimeoutMs),
      ],
      { cwd: ROOT, env: { ...process.env, MILLRACE_LOG_LEVEL: 'warn' } },
    );
    everyChild.add(this);
    createInterface({ input: this.child.stdout }).on('line', (text) => this.heard(text));
    createInterface({ input: this.child.stderr }).on('line', (text) => {
      this.stderr.push(text);
      if (this.stderr.length > 30) this.stderr.shift();
    });
    this.exited = new Promise((resolve) => {
      this.child.on('close', (code, signal) => {
        everyChild.delete(this);
        resolve({ code, signal });
        for (const listener of [...this.listeners]) listener();
      });
    });
  }

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Exited without being asked to. */
  get crashed(): boolean {
    return !this.alive && !this.ended;
  }

  /** The partitions it said it works last (none before its first assignment). */
  get partitions(): number[] {
    const last = this.lines.findLast(
      (line): line is Extract<ChildLine, { type: 'assigned' }> => line.type === 'assigned',
    );
    return last?.partitions ?? [];
  }

  /** Resolves once `check` holds for what it said; rejects if it exits first or after `timeoutMs`. */
  until(check: () => boolean, what: string, timeoutMs: number): Promise<void> {
    if (check()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const finish = (error?: Error) => {
        clearTimeout(timer);
        this.listeners.delete(listener);
        if (error) reject(error);
        else resolve();
      };
      const listener = () => {
        if (check()) finish();
        else if (!this.alive) finish(new Error(`${this.describe()} exited before ${what}`));
      };
      const timer = setTimeout(
        () => finish(new Error(`${this.describe()}: no ${what} within ${timeoutMs} ms`)),
        timeoutMs,
      );
      this.listeners.add(listener);
    });
  }

  ready(timeoutMs: number): Promise<void> {
    return this.until(() => this.lines.some((l) => l.type === 'ready'), 'ready line', timeoutMs);
  }

  /** kill -9: no drain, no commit, no leave. */
  kill(): void {
    this.ended = true;
    this.child.kill('SIGKILL');
  }

  /** SIGTERM: it drains, commits, leaves and exits. */
  async terminate(): Promise<void> {
    this.ended = true;
    if (this.alive) this.child.kill('SIGTERM');
    const exit = await this.exited;
    if (exit.code !== 0)
      throw new Error(`${this.describe()} did not stop cleanly: ${JSON.stringify(exit)}`);
  }

  /** Its pid and the last lines it wrote on stderr, for failure messages. */
  describe(): string {
    return `member ${this.label} (pid ${this.child.pid}), stderr:\n${this.stderr.join('\n')}`;
  }

  private heard(text: string): void {
    let line: ChildLine;
    try {
      line = JSON.parse(text) as ChildLine;
    } catch {
      this.stderr.push(`stdout: ${text}`);
      return;
    }
    this.lines.push(line);
    if (line.type === 'handled') {
      const { id, stream, n, subject, position, partition, attempt, at } = line;
      this.handlings.push({
        id,
        stream,
        n,
        subject,
        position,
        partition,
        attempt,
        at,
        member: this.label,
      });
    }
    for (const listener of [...this.listeners]) listener();
  }
}

/** Polls `check` until it holds; fails at once, with its stderr, if a member crashes meanwhile. */
export async function waitWithMembers(
  members: readonly ChildMember[],
  check: () => boolean,
  what: string,
  timeoutMs: number,
): Promise<void> {
  await waitFor(
    () => {
      const crashed = members.find((m) => m.crashed);
      if (crashed) throw new Error(`${crashed.describe()}\nexited while waiting for ${what}`);
      return check();
    },
    what,
    timeoutMs,
  );
}

/** Ends every member process still running (after a test, even a failed one). */
export async function destroyAllChildren(): Promise<void> {
  await Promise.all(
    [...everyChild].map(async (member) => {
      member.kill();
      await member.exited;
    }),
  );
}

// A parent that exits on its own (a crash, a timeout) takes its members along.
process.on('exit', () => {
  for (const member of everyChild) member.kill();
});
