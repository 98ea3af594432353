/**
 * A PostgreSQL cluster of the test's own: `initdb` into a temporary
 * directory, a port of its own, started, restarted (`-m fast` or `-m
 * immediate`, a crash and recovery) and removed by the test, so the shared
 * server on 5432 is never restarted. As root, the server runs as the
 * `postgres` user (PostgreSQL refuses to run as root).
 */
import { execFile } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export type RestartMode = 'fast' | 'immediate';

const SERVER_USER = 'postgres';

export class PostgresCluster {
  private constructor(
    private readonly dir: string,
    readonly port: number,
  ) {}

  /** Where clients connect (trust auth, user postgres, database postgres). */
  get url(): string {
    return `postgres://postgres@127.0.0.1:${this.port}/postgres`;
  }

  private get dataDir(): string {
    return join(this.dir, 'data');
  }

  private get logFile(): string {
    return join(this.dir, 'server.log');
  }

  /** Creates and starts a fresh cluster; fails saying what is missing when initdb is not installed. */
  static async start(): Promise<PostgresCluster> {
    const dir = mkdtempSync(join(tmpdir(), 'millrace-pg-'));
    if (asRoot()) chownSync(dir, uid(SERVER_USER), gid(SERVER_USER));
    const cluster = new PostgresCluster(dir, await freePort());
    try {
      await cluster.ctl('initdb', [
        '-D',
        cluster.dataDir,
        '-A',
        'trust',
        '-U',
        'postgres',
        '--no-sync',
      ]);
    } catch (error) {
      rmSync(dir, { recursive: true, force: true });
      throw new Error(
        `could not create a PostgreSQL cluster of the test's own with initdb (install PostgreSQL's server binaries, e.g. apt-get install postgresql): ${(error as Error).message}`,
      );
    }
    await cluster.ctl('pg_ctl', ['start', ...cluster.startArgs()]);
    return cluster;
  }

  /** Restarts the server: `fast` ends sessions and checkpoints; `immediate` crashes it and recovers. */
  async restart(mode: RestartMode): Promise<void> {
    await this.ctl('pg_ctl', ['restart', '-m', mode, ...this.startArgs()]);
  }

  /** Stops the server and removes every file. */
  async destroy(): Promise<void> {
    if (existsSync(join(this.dataDir, 'postmaster.pid'))) {
      await this.ctl('pg_ctl', ['stop', '-m', 'immediate', '-D', this.dataDir]).catch(
        () => undefined,
      );
    }
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** The server's log, for a failure message. */
  log(): string {
    return existsSync(this.logFile) ? readFileSync(this.logFile, 'utf8').slice(-4000) : '';
  }

  private startArgs(): string[] {
    const options = [
      `-p ${this.port}`,
      '-c listen_addresses=127.0.0.1',
      `-c unix_socket_directories=${this.dir}`,
      '-c max_connections=200',
      '-c shared_buffers=64MB',
      // Durable like production: an immediate restart must lose nothing acknowledged.
      '-c fsync=on',
      '-c synchronous_commit=on',
    ].join(' ');
    return ['-D', this.dataDir, '-l', this.logFile, '-w', '-t', '60', '-o', options];
  }

  private async ctl(command: string, args: string[]): Promise<void> {
    const [file, argv] = asRoot()
      ? ['runuser', ['-u', SERVER_USER, '--', command, ...args]]
      : [command, args];
    await run(file, argv, { cwd: this.dir });
  }
}

function asRoot(): boolean {
  return userInfo().uid === 0;
}

function uid(user: string): number {
  return idOf(user, 2);
}

function gid(user: string): number {
  return idOf(user, 3);
}

/** A field of the user's /etc/passwd line. */
function idOf(user: string, field: number): number {
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`${user}:`));
  const value = Number(line?.split(':')[field]);
  if (!Number.isInteger(value)) throw new Error(`no ${user} user to run PostgreSQL as`);
  return value;
}

/** A port nothing listens on now. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address !== null
          ? resolve(address.port)
          : reject(new Error('no port')),
      );
    });
  });
}
