/**
 * Runs the built `millrace` command as a user would: a real process, in a
 * working directory of its own, with an environment that points nowhere
 * unless the test says so.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { waitFor } from './wait.js';

export const BIN = fileURLToPath(new URL('../../bin/millrace.js', import.meta.url));
const MAIN = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));

export function assertBuilt(): void {
  if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run npm run build first`);
}

const tempDirs: string[] = [];

export function tempDir(prefix = 'millrace-e2e-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  tempDirs.push(dir);
  return dir;
}

export function removeTempDirs(): void {
  for (const dir of tempDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}

function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const name of ['DATABASE_URL', 'MILLRACE_URL', 'MILLRACE_DATA_DIR', 'MILLRACE_PORT']) {
    delete env[name];
  }
  // Under `npm test` or `npx vitest`, npm's own settings (its prefix among them) would
  // steer an `npx` the test runs towards this checkout instead of the test's directory.
  for (const name of Object.keys(env)) if (name.startsWith('npm_')) delete env[name];
  env.MILLRACE_LOG_LEVEL = 'info';
  return { ...env, ...extra };
}

export interface CliResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface SpawnOptions {
  readonly cwd: string;
  readonly env?: Record<string, string>;
  /** The program and its leading arguments. @defaultValue node bin/millrace.js of this checkout */
  readonly command?: readonly string[];
  /**
   * Run in a process group of its own and signal the whole group, as a
   * terminal's Ctrl-C does: `npx` does not pass a signal on to the command it runs.
   */
  readonly processGroup?: boolean;
}

/** A running command whose output is collected as it arrives. */
export class CliProcess {
  readonly child: ChildProcessWithoutNullStreams;
  stdout = '';
  stderr = '';
  readonly exited: Promise<CliResult>;
  private readonly processGroup: boolean;

  constructor(args: readonly string[], options: SpawnOptions) {
    this.processGroup = options.processGroup === true;
    const [program, ...leading] = options.command ?? [process.execPath, BIN];
    this.child = spawn(program ?? process.execPath, [...leading, ...args], {
      cwd: options.cwd,
      env: cleanEnv(options.env ?? {}),
      detached: this.processGroup,
    });
    this.child.stdout.setEncoding('utf8').on('data', (chunk: string) => (this.stdout += chunk));
    this.child.stderr.setEncoding('utf8').on('data', (chunk: string) => (this.stderr += chunk));
    this.exited = new Promise((resolve) => {
      this.child.on('close', (code, signal) =>
        resolve({ code, signal, stdout: this.stdout, stderr: this.stderr }),
      );
    });
  }

  async waitForOutput(text: string | RegExp, timeoutMs = 15_000): Promise<void> {
    const found = () => {
      const all = this.stdout + this.stderr;
      return typeof text === 'string' ? all.includes(text) : text.test(all);
    };
    await waitFor(found, `output ${String(text)}; got:\n${this.stdout}\n${this.stderr}`, timeoutMs);
  }

  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<CliResult> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      if (this.processGroup && this.child.pid !== undefined) process.kill(-this.child.pid, signal);
      else this.child.kill(signal);
    }
    return this.exited;
  }
}

/** Runs a command to completion, optionally feeding stdin. */
export async function runCli(
  args: readonly string[],
  options: SpawnOptions & { input?: string },
): Promise<CliResult> {
  const running = new CliProcess(args, options);
  running.child.stdin.end(options.input ?? '');
  return running.exited;
}

export interface ServerInfo {
  readonly url: string;
  readonly pid: number;
  readonly provider: string;
  readonly startedAt: string;
}

export function readServerJson(dir: string): ServerInfo | undefined {
  const path = join(dir, '.millrace', 'server.json');
  return existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as ServerInfo) : undefined;
}

/** `millrace start` on a free port; resolves once server.json names it and it answers. */
export async function startServer(
  cwd: string,
  args: readonly string[] = [],
): Promise<{ server: CliProcess; info: ServerInfo }> {
  const server = new CliProcess(['start', '--port', '0', ...args], { cwd });
  let info: ServerInfo | undefined;
  await waitFor(
    async () => {
      if (server.child.exitCode !== null) {
        throw new Error(`millrace start exited early:\n${server.stdout}\n${server.stderr}`);
      }
      info = readServerJson(cwd);
      if (info === undefined) return false;
      const health = await fetch(`${info.url}/v1/health`).catch(() => undefined);
      return health?.ok === true;
    },
    'millrace start to answer /v1/health',
    // A bound for a start that never comes, not a speed target: on a busy machine an
    // embedded start has taken 40 s (bench/ measures the speed).
    120_000,
  );
  return { server, info: info as ServerInfo };
}
