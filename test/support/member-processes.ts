/**
 * The parent's handle on member processes (member-process.ts): spawn one,
 * read its lines, wait for it to be ready, kill, freeze, resume or stop it,
 * and make sure none outlives the test or benchmark that started it.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { memberArgs, type MemberLine, type MemberOptions } from './member-protocol.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SCRIPT = fileURLToPath(new URL('./member-process.ts', import.meta.url));

export interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

const everyProcess = new Set<MemberProcess>();

export class MemberProcess {
  readonly child: ChildProcessWithoutNullStreams;
  readonly pid: number;
  readonly lines: MemberLine[] = [];
  readonly exited: Promise<Exit>;
  /** Its member id, once ready. */
  member: string | undefined;
  /** Set before the parent ends it on purpose; any other exit is a failure. */
  private ending = false;
  private frozen = false;
  private readonly stderr: string[] = [];
  private readonly listeners = new Set<(line: MemberLine) => void>();

  constructor(options: MemberOptions) {
    this.child = spawn(process.execPath, ['--import', 'tsx', SCRIPT, ...memberArgs(options)], {
      cwd: ROOT,
      env: { ...process.env, MILLRACE_LOG_LEVEL: 'warn' },
    });
    if (this.child.pid === undefined) throw new Error('could not spawn a member process');
    this.pid = this.child.pid;
    everyProcess.add(this);
    createInterface({ input: this.child.stdout }).on('line', (text) => this.heard(text));
    createInterface({ input: this.child.stderr }).on('line', (text) => {
      this.stderr.push(text);
      if (this.stderr.length > 40) this.stderr.shift();
    });
    this.exited = new Promise((resolve) => {
      this.child.on('close', (code, signal) => {
        everyProcess.delete(this);
        resolve({ code, signal });
      });
    });
  }

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  get paused(): boolean {
    return this.frozen;
  }

  /** Exited without being asked to: a crash. */
  get crashed(): boolean {
    return !this.alive && !this.ending;
  }

  onLine(listener: (line: MemberLine) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The first line (already heard or to come) that matches. */
  waitForLine<T extends MemberLine>(
    match: (line: MemberLine) => line is T,
    what: string,
    timeoutMs = 30_000,
  ): Promise<T> {
    const heard = this.lines.find(match);
    if (heard) return Promise.resolve(heard);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        stop();
        reject(new Error(`member ${this.pid}: no ${what} within ${timeoutMs} ms\n${this.tail()}`));
      }, timeoutMs);
      const stop = this.onLine((line) => {
        if (!match(line)) return;
        clearTimeout(timer);
        stop();
        resolve(line);
      });
      void this.exited.then(() => {
        clearTimeout(timer);
        stop();
        reject(new Error(`member ${this.pid} exited before ${what}\n${this.tail()}`));
      });
    });
  }

  /** Resolves with the member id once the member runs. */
  async ready(timeoutMs = 30_000): Promise<string> {
    const line = await this.waitForLine(
      (l): l is Extract<MemberLine, { type: 'ready' }> => l.type === 'ready',
      'ready line',
      timeoutMs,
    );
    return line.member;
  }

  /** With `start: 'stdin'`: resolves once the provider is open. */
  async opened(timeoutMs = 30_000): Promise<void> {
    await this.waitForLine(
      (l): l is Extract<MemberLine, { type: 'open' }> => l.type === 'open',
      'open line',
      timeoutMs,
    );
  }

  /** With `start: 'stdin'`: starts the member. */
  begin(): void {
    this.child.stdin.write('start\n');
  }

  /** kill -9. */
  kill(): void {
    this.ending = true;
    this.child.kill('SIGKILL');
  }

  pause(): void {
    this.frozen = true;
    this.child.kill('SIGSTOP');
  }

  resume(): void {
    this.frozen = false;
    this.child.kill('SIGCONT');
  }

  /** SIGTERM: the member drains, commits, leaves and exits. */
  terminate(): Promise<Exit> {
    this.ending = true;
    if (this.alive) this.child.kill('SIGTERM');
    return this.exited;
  }

  /** Ends it whatever its state (a frozen process ignores SIGTERM, not SIGKILL). */
  async destroy(): Promise<void> {
    this.ending = true;
    if (this.alive) {
      this.child.kill('SIGCONT');
      this.child.kill('SIGKILL');
    }
    await this.exited;
  }

  /** pid, member and the last lines it wrote on stderr, for failure messages. */
  tail(): string {
    return `member ${this.pid} (${this.member ?? 'not ready'}), stderr:\n${this.stderr.join('\n')}`;
  }

  private heard(text: string): void {
    let line: MemberLine;
    try {
      line = JSON.parse(text) as MemberLine;
    } catch {
      this.stderr.push(`stdout: ${text}`);
      return;
    }
    if (line.type === 'ready') this.member = line.member;
    this.lines.push(line);
    for (const listener of [...this.listeners]) listener(line);
  }
}

/** Ends every member process still running (after a test, even a failed one). */
export async function destroyAllMembers(): Promise<void> {
  await Promise.all([...everyProcess].map((member) => member.destroy()));
}

// A parent that exits on its own (a crash, a timeout) takes its members along.
process.on('exit', () => {
  for (const member of everyProcess) {
    try {
      member.child.kill('SIGCONT');
      member.child.kill('SIGKILL');
    } catch {
      // Already gone.
    }
  }
});
