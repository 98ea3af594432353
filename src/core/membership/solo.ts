/**
 * Membership for a consumer run by a single member: it owns every partition
 * from the moment it joins, in generation 1. The leader-elected allocator
 * replaces it where members compete.
 */
import type {
  Assignment,
  JoinRequest,
  MemberSession,
  Membership,
  MembershipView,
} from '../contracts/membership.js';

export class SoloMembership implements Membership {
  describe(): Promise<MembershipView> {
    return Promise.resolve({ generation: 1, leader: undefined, members: [], owners: [] });
  }

  join(request: JoinRequest): Promise<MemberSession> {
    const assignment: Assignment = {
      generation: 1,
      partitions: Array.from({ length: request.partitions }, (_, index) => index),
    };
    return Promise.resolve({
      member: request.member,
      current: () => assignment,
      onAssignment: () => () => undefined,
      isLive: () => true,
      refresh: () => Promise.resolve(),
      release: () => Promise.resolve(),
      leave: () => Promise.resolve(),
    });
  }
}
