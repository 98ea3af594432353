/**
 * The benchmark's child processes (`node --import tsx <script> <json>`, with
 * an IPC channel): a way to wait for the message one says next, and a
 * register of the living, every one of which is SIGKILLed when this process
 * exits, however it exits.
 */
import { fork, type ChildProcess } from 'node:child_process';

const living = new Set<ChildProcess>();
process.on('exit', killAllChildren);

export function killAllChildren(): void {
  for (const child of living) child.kill('SIGKILL');
  living.clear();
}

type Listener<From> = (message: From) => void;

export class Child<To, From extends { type: string }> {
  readonly process: ChildProcess;
  /** Resolves when the process has exited, for whatever reason. */
  readonly exited: Promise<void>;
  private readonly listeners = new Set<Listener<From>>();
  private ended: string | undefined;
  private readonly endWaiters = new Set<(reason: string) => void>();

  constructor(
    script: string,
    args: unknown,
    readonly label: string,
  ) {
    this.process = fork(script, [JSON.stringify(args)], {
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    living.add(this.process);
    this.process.on('message', (message: From) => {
      if (message.type === 'failed') {
        this.end(`${label} failed: ${(message as unknown as { message: string }).message}`);
      }
      for (const listener of [...this.listeners]) listener(message);
    });
    this.exited = new Promise((resolve) => {
      this.process.once('exit', (code, signal) => {
        living.delete(this.process);
        this.end(`${label} exited (${signal ?? `code ${code}`})`);
        resolve();
      });
    });
  }

  /** The process has not exited. */
  get alive(): boolean {
    return living.has(this.process);
  }

  get pid(): number {
    return this.process.pid ?? -1;
  }

  send(message: To): void {
    if (this.process.connected) this.process.send(message as object);
  }

  /** Calls `listener` with every message from now on; returns the way to stop. */
  onMessage(listener: Listener<From>): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * The first message from now on that `test` accepts; rejects when the
   * child fails or exits first, or `timeoutMs` pass.
   */
  next<T extends From>(test: (message: From) => boolean, timeoutMs: number, what: string) {
    return new Promise<T>((resolve, reject) => {
      const done = () => {
        clearTimeout(timer);
        stop();
        this.endWaiters.delete(ended);
      };
      const ended = (reason: string) => {
        done();
        reject(new Error(`${reason} while waiting for ${what}`));
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`${this.label}: no ${what} within ${timeoutMs} ms`));
      }, timeoutMs).unref();
      const stop = this.onMessage((message) => {
        if (!test(message)) return;
        done();
        resolve(message as T);
      });
      if (this.ended !== undefined) ended(this.ended);
      else this.endWaiters.add(ended);
    });
  }

  kill(signal: NodeJS.Signals = 'SIGKILL'): void {
    this.process.kill(signal);
  }

  /** Sends `message` (a request to stop) and waits `graceMs` for the exit, then kills. */
  async stop(message: To, graceMs: number): Promise<void> {
    if (!this.alive) return;
    this.send(message);
    const timer = setTimeout(() => this.kill(), graceMs);
    await this.exited;
    clearTimeout(timer);
  }

  private end(reason: string): void {
    if (this.ended !== undefined) return;
    this.ended = reason;
    for (const waiter of [...this.endWaiters]) waiter(reason);
    this.endWaiters.clear();
  }
}
