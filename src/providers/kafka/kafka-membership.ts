/**
 * Membership on Kafka (`allocation: 'provider'`): a member is a member of
 * the consumer's group, and the group coordinator assigns partitions. A
 * member commits through its own group client (KafkaMemberSession.commit).
 */
import type {
  JoinRequest,
  Membership,
  MembershipView,
  MemberSession,
  MemberView,
} from '../../core/contracts/membership.js';
import { NotFoundError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import type { KafkaCluster } from './kafka-cluster.js';
import { groupCall } from './kafka-errors.js';
import { categoryOf } from './kafka-log.js';
import { KafkaMemberSession } from './kafka-member-session.js';
import type { KafkaRegistry } from './kafka-registry.js';
import { readAnnouncement } from './sticky-assigner.js';

export class KafkaMembership implements Membership<never> {
  private readonly sessions = new Map<string, KafkaMemberSession>();

  constructor(
    private readonly cluster: KafkaCluster,
    private readonly registry: KafkaRegistry,
    private readonly logger: Logger,
  ) {}

  async join(request: JoinRequest): Promise<MemberSession<never>> {
    const record = await this.registry.get(request.consumer);
    if (record === undefined) {
      throw new NotFoundError(`no consumer named ${JSON.stringify(request.consumer)}`, {
        reason: 'consumer_not_found',
      });
    }
    const topic = this.cluster.names.topic(categoryOf(record.sequence));
    const session = new KafkaMemberSession(
      this.cluster,
      request.member,
      request,
      topic,
      this.logger,
      () => this.sessions.delete(request.member.id),
    );
    this.sessions.set(request.member.id, session);
    try {
      await session.start();
    } catch (error) {
      this.sessions.delete(request.member.id);
      throw error;
    }
    return session;
  }

  async describe(consumer: string): Promise<MembershipView> {
    const group = this.cluster.names.group(consumer);
    const described = await groupCall(`describe group ${group}`, () =>
      this.cluster.admin.describeGroups({ groups: [group] }),
    );
    const found = described.get(group);
    const now = new Date();
    const members: MemberView[] = [];
    const owners: { partition: number; member: string | null; revoking: boolean }[] = [];
    for (const member of found?.members.values() ?? []) {
      const announced = readAnnouncement(member.metadata?.metadata);
      const owned = [...(member.assignments?.values() ?? [])].flatMap((a) => a.partitions);
      const id = announced?.member ?? member.id;
      members.push({
        id,
        host: announced?.host ?? member.clientHost,
        pid: announced?.pid ?? 0,
        owned,
        revoking: [],
        // Kafka does not report these; the coordinator tracks liveness itself.
        joinedAt: now,
        heartbeatAt: now,
        expiresAt: now,
      });
      for (const partition of owned) owners.push({ partition, member: id, revoking: false });
    }
    // Kafka does not report the generation to outsiders; a member in this process knows it.
    const local = [...this.sessions.values()].find((s) => s.consumer === consumer);
    return {
      generation: local?.current().generation ?? 0,
      leader: undefined,
      members,
      owners: owners.sort((a, b) => a.partition - b.partition),
    };
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.sessions.values()].map((s) => s.leave()));
  }
}
