/**
 * Injects faults into running member processes and their database, one at
 * a time, at random moments from a seeded source: kill -9 (and a new member
 * in its place), SIGSTOP past the session timeout then SIGCONT, the end of a
 * member's process session (its members.session_pid backend), a cut
 * connection (a busy backend of a member process), every member's
 * connections cut at once, and a restart of the server (`-m fast`, or `-m
 * immediate`: a crash and recovery). It keeps the log the history checker
 * explains duplicates with.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type pg from 'pg';
import { MEMBER_APPLICATION } from '../member-protocol.js';
import {
  busyBackends,
  leaderProcess,
  sessionBackend,
  terminateBackend,
} from '../member-database.js';
import type { MemberProcess } from '../member-processes.js';
import type { Random } from '../random.js';
import type { Fault, FaultKind } from './faults.js';
import type { PostgresCluster, RestartMode } from './postgres-cluster.js';

export type InjectedKind = Exclude<FaultKind, 'restart'> | `restart-${RestartMode}`;

export const FAULT_KINDS: readonly InjectedKind[] = [
  'kill',
  'stop',
  'session',
  'connection',
  'cut',
  'restart-fast',
  'restart-immediate',
];

export interface ChaosTarget {
  readonly cluster: PostgresCluster;
  /** The test's own connections (never cut: named apart from the members'). */
  readonly db: pg.Pool;
  readonly schema: string;
  readonly sessionTimeoutMs: number;
  readonly random: Random;
  /** The members running now; a killed one is replaced in place. */
  readonly members: MemberProcess[];
  /** Starts a new member process (not yet ready). */
  readonly spawn: () => MemberProcess;
  readonly log: (line: string) => void;
}

export class FaultInjector {
  readonly faults: Fault[] = [];
  private readonly started = Date.now();

  constructor(private readonly target: ChaosTarget) {}

  /**
   * Injects faults with pauses of `pauseMs` (random within) until `enough()`
   * and every kind was injected at least once.
   */
  async run(enough: () => boolean, pauseMs: [number, number] = [500, 2500]): Promise<void> {
    const { random } = this.target;
    const planned = random.shuffle(FAULT_KINDS);
    const done = new Set<InjectedKind>();
    while (!enough() || done.size < FAULT_KINDS.length) {
      await sleep(random.int(...pauseMs));
      const kind = planned.shift() ?? random.pick(FAULT_KINDS);
      if (await this.inject(kind)) done.add(kind);
      else planned.unshift(kind);
    }
  }

  /** Injects one fault; false if it could not be done now. */
  async inject(kind: InjectedKind): Promise<boolean> {
    const victim = this.target.random.pick(this.target.members.filter((m) => m.alive));
    const leader = await leaderProcess(this.target.db, this.target.schema).catch(() => undefined);
    const injected = await this.injectInto(kind, victim);
    if (injected) {
      const fault = this.faults[this.faults.length - 1] as Fault;
      const who =
        'pid' in fault ? ` pid ${fault.pid}${fault.pid === leader ? ' (leader)' : ''}` : '';
      const how =
        fault.kind === 'stop'
          ? ` for ${fault.resumedAt - fault.at} ms`
          : fault.kind === 'restart'
            ? ` -m ${fault.mode}, back after ${fault.endedAt - fault.at} ms`
            : '';
      this.target.log(`+${fault.at - this.started} ms (${fault.at}) ${fault.kind}${who}${how}`);
    }
    return injected;
  }

  private injectInto(kind: InjectedKind, victim: MemberProcess): Promise<boolean> {
    switch (kind) {
      case 'kill':
        return this.kill(victim);
      case 'stop':
        return this.stop(victim);
      case 'session':
        return this.session(victim);
      case 'connection':
        return this.connection(victim);
      case 'cut':
        return this.cut();
      case 'restart-fast':
        return this.restart('fast');
      case 'restart-immediate':
        return this.restart('immediate');
    }
  }

  private async kill(victim: MemberProcess): Promise<boolean> {
    const at = Date.now();
    victim.kill();
    this.faults.push({ kind: 'kill', pid: victim.pid, at });
    await victim.exited;
    const replacement = this.target.spawn();
    const { members } = this.target;
    members[members.indexOf(victim)] = replacement;
    await replacement.ready();
    return true;
  }

  private async stop(victim: MemberProcess): Promise<boolean> {
    const { random, sessionTimeoutMs } = this.target;
    const at = Date.now();
    victim.pause();
    // Past the session timeout, and past the leader's 1.5 s lease too.
    await sleep(random.int(sessionTimeoutMs + 600, sessionTimeoutMs + 4000));
    const resumedAt = Date.now();
    victim.resume();
    this.faults.push({ kind: 'stop', pid: victim.pid, at, resumedAt });
    return true;
  }

  private async session(victim: MemberProcess): Promise<boolean> {
    const backend = await sessionBackend(this.target.db, this.target.schema, victim.pid);
    if (backend === undefined) return false;
    const at = Date.now();
    if (!(await terminateBackend(this.target.db, backend))) return false;
    this.faults.push({ kind: 'session', pid: victim.pid, at });
    return true;
  }

  /** Waits up to 3 s for the victim to have a busy backend, and cuts it. */
  private async connection(victim: MemberProcess): Promise<boolean> {
    const deadline = Date.now() + 3000;
    while (Date.now() < deadline) {
      const busy = await busyBackends(this.target.db, victim.pid);
      if (busy.length > 0) {
        const at = Date.now();
        if (!(await terminateBackend(this.target.db, this.target.random.pick(busy)))) continue;
        this.faults.push({ kind: 'connection', pid: victim.pid, at });
        return true;
      }
      await sleep(5);
    }
    return false;
  }

  /** Ends every backend of every member process (their history writers are named apart). */
  private async cut(): Promise<boolean> {
    const at = Date.now();
    await this.target.db.query(
      `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
       WHERE application_name LIKE $1 AND pid <> pg_backend_pid()`,
      [`${MEMBER_APPLICATION}%`],
    );
    this.faults.push({ kind: 'cut', at });
    return true;
  }

  private async restart(mode: RestartMode): Promise<boolean> {
    const at = Date.now();
    await this.target.cluster.restart(mode);
    this.faults.push({ kind: 'restart', mode, at, endedAt: Date.now() });
    return true;
  }
}
