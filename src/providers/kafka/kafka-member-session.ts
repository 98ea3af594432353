/**
 * One member in its consumer group. Kafka's group coordinator decides who
 * owns which partition (classic protocol, with millrace's sticky assignor
 * run by the group's leader member); every completed rebalance is a new
 * assignment under the group's new generation. A partition the member
 * keeps across a rebalance keeps the generation it was granted in, so its
 * worker runs on; commits go out under the group's current generation,
 * which the coordinator checks (a member that was thrown out cannot commit).
 */
import { Consumer, type ConsumerGroupJoinPayload } from '@platformatic/kafka';
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
import { STICKY_PROTOCOL, stickyAssigner, type MemberAnnouncement } from './sticky-assigner.js';

/** How long a commit waits for a rebalance in progress to complete. */
const REBALANCE_WAIT_MS = 30_000;

export class KafkaMemberSession implements MemberSession {
  private assignment: Assignment = { generation: 0, partitions: [], grantedIn: {} };
  private readonly listeners = new Set<(assignment: Assignment) => void>();
  private readonly client: Consumer;
  /** Mutated in place: the client sends it again on every rejoin. */
  private readonly protocol: { name: string; version: number; metadata: Buffer };
  private lastContact = Date.now();
  private rebalancing = false;
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
    const heartbeat = Math.max(
      100,
      Math.min(request.heartbeatIntervalMs, request.sessionTimeoutMs / 3),
    );
    this.client = new Consumer({
      clientId: `${cluster.options.clientId}-${member.id}`.replace(/[^A-Za-z0-9._-]/g, '_'),
      bootstrapBrokers: [...cluster.options.brokers],
      groupId: cluster.names.group(request.consumer),
      sessionTimeout: request.sessionTimeoutMs,
      // How long the coordinator waits for every member to rejoin in a rebalance.
      rebalanceTimeout: Math.max(request.sessionTimeoutMs, 10_000),
      heartbeatInterval: Math.floor(heartbeat),
      retries: 5,
      retryDelay: 200,
    });
    this.protocol = { name: STICKY_PROTOCOL, version: 1, metadata: this.announce([]) };
    this.client.topics.trackAll(topic);
    this.client.on('consumer:group:join', (payload) => this.joinedGroup(payload));
    this.client.on('consumer:group:rebalance', () => (this.rebalancing = true));
    this.client.on('consumer:heartbeat:end', () => (this.lastContact = Date.now()));
    this.client.on('error', (error: unknown) => {
      this.logger.warn({ consumer: request.consumer, ...errorFields(error) }, 'kafka group error');
    });
  }

  async start(): Promise<void> {
    try {
      await this.client.joinGroup({
        sessionTimeout: this.request.sessionTimeoutMs,
        protocols: [this.protocol],
        partitionAssigner: stickyAssigner,
      });
    } catch (error) {
      await this.closeClient();
      throw toMillraceError(error, `join group of ${this.request.consumer}`);
    }
  }

  get consumer(): string {
    return this.request.consumer;
  }

  current(): Assignment {
    return this.assignment;
  }

  onAssignment(listener: (assignment: Assignment) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  isLive(): boolean {
    return !this.closed && Date.now() - this.lastContact < this.request.sessionTimeoutMs;
  }

  /** Assignments arrive from the coordinator; a rebalance under way ends with one. */
  async refresh(): Promise<void> {
    await this.settled();
  }

  /** The coordinator has moved them already; nothing to hand back. */
  release(): Promise<void> {
    return Promise.resolve();
  }

  async leave(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.listeners.clear();
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
    if (this.rebalancing) await this.settled();
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
    return new Promise<void>((resolve) => this.client.close(true, () => resolve()));
  }

  private joinedGroup(payload: ConsumerGroupJoinPayload): void {
    const generation = payload.generationId ?? 0;
    const partitions = [
      ...(payload.assignments?.find((a) => a.topic === this.topic)?.partitions ?? []),
    ].sort((a, b) => a - b);
    const before = new Set(this.assignment.partitions);
    const previous = this.assignment.grantedIn ?? {};
    const grantedIn: Record<number, number> = {};
    for (const p of partitions)
      grantedIn[p] = before.has(p) ? (previous[p] ?? generation) : generation;
    this.assignment = { generation, partitions, grantedIn };
    this.protocol.metadata = this.announce(partitions);
    this.lastContact = Date.now();
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
