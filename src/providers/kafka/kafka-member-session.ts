/**
 * One member in its consumer group. Kafka's group coordinator decides who
 * owns which partition (classic protocol, with millrace's sticky assignor
 * run by the group's leader member); every completed rebalance is a new
 * assignment under the group's new generation. A partition the member
 * keeps across a rebalance keeps the generation it was granted in, so its
 * worker runs on; commits go out under the group's current generation,
 * which the coordinator checks (a member that was thrown out cannot commit).
 *
 * The group client cannot follow a coordinator that moved (group-client.ts):
 * when no heartbeat has succeeded for a session timeout, the member has
 * lapsed anyway, so it stops its partitions (an empty assignment), replaces
 * the client, and joins again as a new member; the partitions it gets then
 * start afresh from their committed positions.
 *
 * When it may start work: the coordinator drops a member a session timeout
 * after the last heartbeat it received, so the member counts from when its
 * last answered heartbeat was sent, and stops a margin before. The classic
 * protocol is eager: the partitions a member had may be another member's the
 * moment a rebalance completes. So, as Kafka's own consumer revokes its
 * partitions before it rejoins, a member that hears of a rebalance hands all
 * of its partitions over first (the consumer finishes what it skipped past
 * and commits, under the old generation, which the coordinator still takes
 * until the group has rejoined), then rejoins; it gets most of them back
 * (the assignor is sticky) and starts them from what it committed. Nothing
 * it handled is handled again because another member joined or left.
 */
import { performance } from 'node:perf_hooks';
import type { ConsumerGroupJoinPayload } from '@platformatic/kafka';
import type {
  Assignment,
  JoinRequest,
  MemberInfo,
  MemberSession,
} from '../../core/contracts/membership.js';
import type { PositionCommit } from '../../core/contracts/positions.js';
import { FencedError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import { errorFields } from '../../core/logger.js';
import type { KafkaCluster } from './kafka-cluster.js';
import { FENCING_ERRORS, isKafkaError, toMillraceError } from './kafka-errors.js';
import { GroupClient } from './group-client.js';
import { STICKY_PROTOCOL, stickyAssigner, type MemberAnnouncement } from './sticky-assigner.js';

/** How long a commit waits for a rebalance in progress to complete. */
const REBALANCE_WAIT_MS = 30_000;

/** At most this share of the rebalance timeout goes to handing partitions over before a rejoin. */
const REVOKE_SHARE = 0.5;

/**
 * A member learns of a rebalance from its next heartbeat, and every member
 * stops until all have rejoined, so the heartbeat bounds how long a member
 * joining or leaving stops the group. Kafka's consumer docs advise lowering
 * heartbeat.interval.ms for quicker rebalances; a heartbeat costs one small
 * request, so members send at least one a second.
 */
const MAX_HEARTBEAT_MS = 1000;

export class KafkaMemberSession implements MemberSession<never> {
  private assignment: Assignment = { generation: 0, partitions: [], grantedIn: {} };
  private readonly listeners = new Set<(assignment: Assignment) => void>();
  private client: GroupClient;
  private readonly watchdog: NodeJS.Timeout;
  private replacing = false;
  /** Mutated in place: the client sends it again on every rejoin. */
  private readonly protocol: { name: string; version: number; metadata: Buffer };
  /** When (performance.now()) the last answered heartbeat or join was sent. */
  private lastContact = performance.now();
  private heartbeatSentAt = performance.now();
  private rebalancing = false;
  private rebalancingSince = 0;
  /**
   * While partitions are handed over before a rejoin: what the consumer sees
   * (nothing to work, everything handing over), and the partitions it has
   * not released yet. The assignment itself stays, for the commits.
   */
  private revoking:
    | {
        readonly view: Assignment;
        readonly pending: Set<number>;
        readonly done: () => void;
        /** Handed over (or out of time): the rejoin is under way. */
        finished: boolean;
      }
    | undefined;
  private joined: Array<() => void> = [];
  private closed = false;

  constructor(
    private readonly cluster: KafkaCluster,
    readonly member: MemberInfo,
    private readonly request: JoinRequest,
    readonly topic: string,
    private readonly logger: Logger,
    private readonly onClose: () => void,
  ) {
    this.protocol = { name: STICKY_PROTOCOL, version: 1, metadata: this.announce([]) };
    this.client = this.connect();
    this.watchdog = setInterval(() => void this.replaceIfLapsed(), this.heartbeatMs());
    this.watchdog.unref();
  }

  private rebalanceMs(): number {
    return Math.max(this.request.sessionTimeoutMs, 10_000);
  }

  private heartbeatMs(): number {
    const { heartbeatIntervalMs, sessionTimeoutMs } = this.request;
    return Math.floor(
      Math.max(100, Math.min(heartbeatIntervalMs, sessionTimeoutMs / 3, MAX_HEARTBEAT_MS)),
    );
  }

  /** A new group client, listening; it joins in `join()`. */
  private connect(): GroupClient {
    const { cluster, member, request } = this;
    const client = new GroupClient({
      clientId: `${cluster.options.clientId}-${member.id}`.replace(/[^A-Za-z0-9._-]/g, '_'),
      bootstrapBrokers: [...cluster.options.brokers],
      groupId: cluster.names.group(request.consumer),
      sessionTimeout: request.sessionTimeoutMs,
      // How long the coordinator waits for every member to rejoin in a rebalance.
      rebalanceTimeout: this.rebalanceMs(),
      heartbeatInterval: this.heartbeatMs(),
      retries: 5,
      retryDelay: 200,
    });
    client.topics.trackAll(this.topic);
    // Only a rebalance leaves the partitions this member's until it rejoins; a member the
    // coordinator dropped (unknown member, old generation) has nothing left to hand over.
    client.beforeRejoin = () =>
      client === this.client && this.rebalancing ? this.revoke() : Promise.resolve();
    client.on('consumer:group:join', (payload) => {
      if (client === this.client) this.joinedGroup(payload);
    });
    client.on('consumer:group:rebalance', () => {
      if (client !== this.client) return;
      this.rebalancing = true;
      this.rebalancingSince = Date.now();
    });
    client.on('consumer:heartbeat:start', () => {
      if (client === this.client) this.heartbeatSentAt = performance.now();
    });
    client.on('consumer:heartbeat:end', () => {
      if (client === this.client) this.lastContact = this.heartbeatSentAt;
    });
    client.on('error', (error: unknown) => {
      this.logger.warn({ consumer: request.consumer, ...errorFields(error) }, 'kafka group error');
    });
    return client;
  }

  private join(client: GroupClient): Promise<string> {
    return client.joinGroup({
      sessionTimeout: this.request.sessionTimeoutMs,
      protocols: [this.protocol],
      partitionAssigner: stickyAssigner,
    });
  }

  /**
   * No heartbeat for a session timeout: this member is out of the group;
   * join again with a new client. A rebalance stops heartbeats while the
   * coordinator waits for every member to rejoin: that is allowed its
   * rebalance timeout.
   */
  private async replaceIfLapsed(): Promise<void> {
    if (this.closed || this.replacing || !this.lapsed()) return;
    const { sessionTimeoutMs } = this.request;
    if (
      this.rebalancing &&
      Date.now() - this.rebalancingSince < this.rebalanceMs() + sessionTimeoutMs
    )
      return;
    this.replacing = true;
    const old = this.client;
    try {
      this.logger.warn(
        { consumer: this.request.consumer, member: this.member.id },
        'no kafka group heartbeat for a session timeout: joining again with a new client',
      );
      // Whatever it owned may be someone else's by now: stop it all, start afresh after the join.
      this.revoking?.done();
      this.revoking = undefined;
      this.assignment = { generation: this.assignment.generation, partitions: [], grantedIn: {} };
      this.protocol.metadata = this.announce([]);
      for (const listener of this.listeners) listener(this.assignment);
      this.client = this.connect();
      void new Promise<void>((resolve) => old.close(true, () => resolve()));
      await this.join(this.client);
    } catch (error) {
      this.logger.warn(
        { consumer: this.request.consumer, ...errorFields(error) },
        'could not join the kafka group again; retrying',
      );
    } finally {
      this.replacing = false;
    }
  }

  async start(): Promise<void> {
    try {
      await this.join(this.client);
    } catch (error) {
      await this.closeClient();
      throw toMillraceError(error, `join group of ${this.request.consumer}`);
    }
  }

  get consumer(): string {
    return this.request.consumer;
  }

  current(): Assignment {
    return this.revoking?.view ?? this.assignment;
  }

  /**
   * Before a rejoin: hands every partition over and waits until the
   * consumer released them (drained and committed), for at most half the
   * rebalance timeout, so the member still rejoins in time.
   */
  private revoke(): Promise<void> {
    const partitions = this.assignment.partitions;
    if (this.closed || this.revoking !== undefined || partitions.length === 0) {
      return Promise.resolve();
    }
    return new Promise<void>((resolve) => {
      const view: Assignment = {
        generation: this.assignment.generation,
        partitions: [],
        handingOver: partitions,
        grantedIn: this.assignment.grantedIn,
      };
      // The view stays until the join answers: nothing starts again before it.
      const revoking = {
        view,
        pending: new Set(partitions),
        finished: false,
        done: () => {
          clearTimeout(timer);
          revoking.finished = true;
          resolve();
        },
      };
      const timer = setTimeout(revoking.done, this.rebalanceMs() * REVOKE_SHARE);
      this.revoking = revoking;
      for (const listener of this.listeners) listener(view);
    });
  }

  onAssignment(listener: (assignment: Assignment) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  isLive(): boolean {
    // Handing over before a rejoin, the partitions are still this member's: it may finish them.
    if (this.closed || (this.rebalancing && (this.revoking?.finished ?? true))) return false;
    const { sessionTimeoutMs } = this.request;
    const margin = Math.min(1000, sessionTimeoutMs / 5);
    return performance.now() - this.lastContact < sessionTimeoutMs - margin;
  }

  /** Heartbeats have stopped for a session timeout: the coordinator has dropped this member. */
  private lapsed(): boolean {
    return performance.now() - this.lastContact >= this.request.sessionTimeoutMs;
  }

  /** Assignments arrive from the coordinator; a rebalance under way ends with one. */
  async refresh(): Promise<void> {
    await this.settled();
  }

  /** Handed over before a rejoin: the rejoin goes ahead once all are. Otherwise the coordinator moved them already. */
  release(partitions: readonly number[]): Promise<void> {
    const revoking = this.revoking;
    if (revoking !== undefined) {
      for (const partition of partitions) revoking.pending.delete(partition);
      if (revoking.pending.size === 0) revoking.done();
    }
    return Promise.resolve();
  }

  async leave(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.watchdog);
    this.listeners.clear();
    this.revoking?.done();
    await new Promise<void>((resolve) => this.client.leaveGroup(false, () => resolve()));
    await this.closeClient();
    this.onClose();
  }

  /**
   * Commits positions (a position is the offset to read next) for partitions
   * this member owns under the generation each commit carries; the others
   * are refused as fenced, after the allowed ones are stored.
   */
  async commit(commits: readonly PositionCommit[]): Promise<void> {
    // Handing over before a rejoin, commits go out at once, under the generation the group still has.
    if (this.rebalancing && (this.revoking?.finished ?? true)) await this.settled();
    const granted = this.assignment.grantedIn ?? {};
    const owned = new Set(this.assignment.partitions);
    const allowed = commits.filter(
      (c) => owned.has(c.partition) && granted[c.partition] === c.generation,
    );
    const fenced = commits.filter((c) => !allowed.includes(c)).map((c) => c.partition);
    if (allowed.length > 0) {
      try {
        await this.client.commit({
          offsets: allowed.map((c) => ({
            topic: this.topic,
            partition: c.partition,
            offset: BigInt(c.position),
            leaderEpoch: -1,
          })),
        });
      } catch (error) {
        if (isKafkaError(error, ...FENCING_ERRORS)) {
          fenced.push(...allowed.map((c) => c.partition));
        } else {
          if (isKafkaError(error, 'REBALANCE_IN_PROGRESS')) this.rebalancing = true;
          throw toMillraceError(error, 'commit positions');
        }
      }
    }
    if (fenced.length > 0) {
      throw new FencedError(
        `member ${this.member.id} no longer owns partitions ${fenced.join(', ')} of ${this.request.consumer}`,
        { reason: 'stale_generation', details: { partitions: fenced } },
      );
    }
  }

  /** Closes the group client whatever state it is in (its errors do not matter any more). */
  private closeClient(): Promise<void> {
    clearInterval(this.watchdog);
    return new Promise<void>((resolve) => this.client.close(true, () => resolve()));
  }

  private joinedGroup(payload: ConsumerGroupJoinPayload): void {
    const generation = payload.generationId ?? 0;
    const partitions = [
      ...(payload.assignments?.find((a) => a.topic === this.topic)?.partitions ?? []),
    ].sort((a, b) => a - b);
    // Partitions handed over before the rejoin start afresh, as granted now.
    const handedOver = this.revoking !== undefined;
    this.revoking?.done();
    this.revoking = undefined;
    const before = new Set(handedOver ? [] : this.assignment.partitions);
    const previous = this.assignment.grantedIn ?? {};
    const grantedIn: Record<number, number> = {};
    for (const p of partitions)
      grantedIn[p] = before.has(p) ? (previous[p] ?? generation) : generation;
    this.assignment = { generation, partitions, grantedIn };
    this.protocol.metadata = this.announce(partitions);
    // The coordinator started this member's session over just before answering.
    this.lastContact = performance.now();
    this.rebalancing = false;
    for (const resolve of this.joined.splice(0)) resolve();
    for (const listener of this.listeners) listener(this.assignment);
  }

  private settled(): Promise<void> {
    if (!this.rebalancing || this.closed) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, REBALANCE_WAIT_MS);
      this.joined.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  private announce(owned: readonly number[]): Buffer {
    const announcement: MemberAnnouncement = {
      member: this.member.id,
      host: this.member.host,
      pid: this.member.pid,
      owned,
    };
    return Buffer.from(JSON.stringify(announcement));
  }
}
