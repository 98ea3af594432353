/**
 * Injects faults into running member processes, one at a time, at random
 * moments from a seeded source: kill -9 (and a new member in its place),
 * SIGSTOP past the session timeout then SIGCONT, the end of a member's
 * process session (its members.session_pid backend), and a cut connection
 * (a busy backend of a member process). It keeps the log the history
 * checker explains duplicates with.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type pg from 'pg';
import type { Fault } from './history-checker.js';
import {
  busyBackends,
  leaderProcess,
  readAssignments,
  sessionBackend,
  terminateBackend,
} from './member-database.js';
import type { MemberProcess } from './member-processes.js';
import type { Random } from './random.js';

export type FaultKind = Fault['kind'];

export const FAULT_KINDS: readonly FaultKind[] = ['kill', 'stop', 'session', 'connection'];

export interface ChaosTarget {
  readonly db: pg.Pool;
  readonly schema: string;
  readonly consumer: string;
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
    const done = new Set<FaultKind>();
    while (!enough() || done.size < FAULT_KINDS.length) {
      await sleep(random.int(...pauseMs));
      const kind = planned.shift() ?? random.pick(FAULT_KINDS);
      if (await this.inject(kind)) done.add(kind);
      else planned.unshift(kind);
    }
  }

  /** Injects one fault into a random running member; false if it could not be done now. */
  async inject(kind: FaultKind): Promise<boolean> {
    const victim = this.target.random.pick(this.target.members.filter((m) => m.alive));
    const leader = (await leaderProcess(this.target.db, this.target.schema)) === victim.pid;
    const injected = await this[kind](victim);
    if (injected) {
      const fault = this.faults[this.faults.length - 1] as Fault;
      this.target.log(
        `+${fault.at - this.started} ms ${kind} pid ${victim.pid}${leader ? ' (leader)' : ''}${fault.kind === 'stop' ? ` for ${fault.resumedAt - fault.at} ms, lost [${fault.lost.join(',')}] of [${fault.owned.map((o) => o.partition).join(',')}]` : ''}`,
      );
    }
    return injected;
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
    const { db, schema, consumer, random, sessionTimeoutMs } = this.target;
    const mine = async () =>
      (await readAssignments(db, schema, consumer)).filter((a) => a.member === victim.member);
    const owned = (await mine()).map(({ partition, generation }) => ({ partition, generation }));
    const at = Date.now();
    victim.pause();
    // Past the session timeout, and past the leader's 1.5 s lease too.
    await sleep(random.int(sessionTimeoutMs + 600, sessionTimeoutMs + 4000));
    const still = await mine();
    const lost = owned
      .filter(
        (o) => !still.some((s) => s.partition === o.partition && s.generation === o.generation),
      )
      .map((o) => o.partition);
    const resumedAt = Date.now();
    victim.resume();
    this.faults.push({ kind: 'stop', pid: victim.pid, at, resumedAt, owned, lost });
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
}
