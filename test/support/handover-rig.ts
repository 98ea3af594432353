/**
 * Member processes of one consumer with events trickling into every
 * partition, to time how fast a member's partitions move when it is killed
 * (-9) or stopped (SIGTERM): the time from the signal to the moment every
 * partition it owned has had its first event handled by another member.
 * The recovery test and the members benchmark both run trials on it.
 */
import pg from 'pg';
import { setTimeout as sleep } from 'node:timers/promises';
import { Millrace, postgres } from '../../src/index.js';
import { dropSchema, uniqueSchema } from './database.js';
import { publishSteadily } from './item-publisher.js';
import { leaderProcess, readAssignments } from './member-database.js';
import { MemberProcess, destroyAllMembers } from './member-processes.js';
import type { MemberLine } from './member-protocol.js';

export interface HandoverRigOptions {
  readonly databaseUrl: string;
  readonly members: number;
  readonly partitions: number;
  readonly sessionTimeoutMs: number;
  readonly coordination: 'session' | 'lease';
}

export interface Handover {
  /** From the signal to the last of the victim's partitions handled elsewhere. */
  readonly ms: number;
  readonly partitions: number;
  /** The victim was running the allocator. */
  readonly leader: boolean;
}

const CONSUMER = 'handover';
/** Enough streams that every partition gets events. */
const STREAMS = 256;

/** Which member to end: the one running the allocator, or another. */
export type Victim = 'leader' | 'follower';

type FirstLine = Extract<MemberLine, { type: 'first' }>;

export class HandoverRig {
  readonly members: MemberProcess[] = [];
  private readonly schema = uniqueSchema('handover');
  private publisher!: Millrace;
  private admin!: pg.Pool;
  private trickle!: { stop(): Promise<number> };

  constructor(private readonly options: HandoverRigOptions) {}

  async start(): Promise<void> {
    this.admin = new pg.Pool({ connectionString: this.options.databaseUrl, max: 2 });
    this.publisher = await Millrace.open({
      provider: postgres({
        connectionString: this.options.databaseUrl,
        schema: this.schema,
        maxConnections: 2,
      }),
    });
    this.members.push(...Array.from({ length: this.options.members }, () => this.spawn()));
    await Promise.all(this.members.map((m) => m.ready()));
    // About 1,600 events a second: every partition moves every few milliseconds.
    this.trickle = publishSteadily(this.publisher, {
      streams: STREAMS,
      batchSize: 16,
      everyMs: 10,
    });
    await this.balanced();
  }

  /** kill -9 one member, time its partitions moving, and put a new member in its place. */
  kill(victim: Victim): Promise<Handover> {
    return this.handover(victim, (member) => member.kill());
  }

  /** SIGTERM one member (drain, commit, leave), time the handover, and replace it. */
  stop(victim: Victim): Promise<Handover> {
    return this.handover(victim, (member) => void member.terminate());
  }

  async close(): Promise<void> {
    await this.trickle?.stop();
    await destroyAllMembers();
    await this.publisher?.close();
    await this.admin?.end();
    await dropSchema(this.schema);
  }

  private spawn(): MemberProcess {
    return new MemberProcess({
      databaseUrl: this.options.databaseUrl,
      schema: this.schema,
      consumer: CONSUMER,
      partitions: this.options.partitions,
      sessionTimeoutMs: this.options.sessionTimeoutMs,
      coordination: this.options.coordination,
      mode: 'sleep',
    });
  }

  private async handover(role: Victim, signal: (victim: MemberProcess) => void): Promise<Handover> {
    const leaderPid = await leaderProcess(this.admin, this.schema);
    const victim = this.members.find((m) => (m.pid === leaderPid) === (role === 'leader'));
    if (victim === undefined) throw new Error(`no ${role} among the members (leader ${leaderPid})`);
    const owned = (await readAssignments(this.admin, this.schema, CONSUMER))
      .filter((a) => a.member === victim.member)
      .map((a) => a.partition);
    if (owned.length === 0) throw new Error(`member ${victim.pid} owns nothing to hand over`);
    const survivors = this.members.filter((m) => m !== victim);
    const signalledAt = Date.now();
    const moved = this.firstHandlings(survivors, owned, signalledAt);
    signal(victim);
    const firsts = await moved;
    await victim.exited;
    const ms = Math.max(...firsts.map((line) => line.at)) - signalledAt;

    const replacement = this.spawn();
    this.members[this.members.indexOf(victim)] = replacement;
    await replacement.ready();
    await this.balanced();
    return { ms, partitions: owned.length, leader: role === 'leader' };
  }

  /** Resolves once each of `partitions` had a first handling at or after `since` in one of `members`. */
  private firstHandlings(
    members: readonly MemberProcess[],
    partitions: readonly number[],
    since: number,
    timeoutMs = 60_000,
  ): Promise<FirstLine[]> {
    const found = new Map<number, FirstLine>();
    return new Promise((resolve, reject) => {
      const unsubscribe: (() => void)[] = [];
      const finish = (error?: Error) => {
        clearTimeout(timer);
        unsubscribe.forEach((stop) => stop());
        if (error) reject(error);
        else resolve([...found.values()]);
      };
      const timer = setTimeout(
        () =>
          finish(
            new Error(
              `partitions ${partitions.filter((p) => !found.has(p)).join(',')} did not move within ${timeoutMs} ms`,
            ),
          ),
        timeoutMs,
      );
      for (const member of members) {
        unsubscribe.push(
          member.onLine((line) => {
            if (line.type !== 'first' || line.at < since || !partitions.includes(line.partition))
              return;
            if (!found.has(line.partition)) found.set(line.partition, line);
            if (found.size === partitions.length) finish();
          }),
        );
      }
    });
  }

  /** Waits until every live member owns its share (max - min <= 1) and nothing is handing over. */
  private async balanced(timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const rows = await readAssignments(this.admin, this.schema, CONSUMER);
      const counts = this.members.map((m) => rows.filter((r) => r.member === m.member).length);
      const settled =
        rows.every((r) => r.member !== null && !r.revoking) &&
        counts.reduce((a, b) => a + b, 0) === this.options.partitions &&
        Math.max(...counts) - Math.min(...counts) <= 1;
      if (settled) return;
      if (Date.now() > deadline) {
        throw new Error(`no balanced assignment within ${timeoutMs} ms: ${JSON.stringify(rows)}`);
      }
      await sleep(50);
    }
  }
}
