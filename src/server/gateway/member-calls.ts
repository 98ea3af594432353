/**
 * Calls on a member go to the server that hosts it: before a member route's
 * handler runs, the call is served here, or passed on to the member's server
 * and its answer sent back as it came. A worker may thus send every call to
 * any server (a plain round-robin balancer), and a server that died loses
 * none of its members: the next server called takes them over.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { OverloadedError } from '../../core/errors.js';
import { MEMBER_TOKEN_HEADER, type MemberDesk } from './member-desk.js';
import { FORWARDED_HEADER, PeerUnreachable, type PeerForwarder } from './peer-forwarder.js';

/** How a route names its member and its token, and how long a call may wait. */
export interface MemberCall {
  /** The route parameter holding the member's id. */
  readonly idParam: string;
  /** A body field holding the member's token; by default it comes in the header. */
  readonly tokenField?: string;
  /** How long the call may wait for work (a long poll), from its body. */
  readonly waitMs?: (body: unknown) => number;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Set on the routes that act on one member over HTTP. */
    memberCall?: MemberCall;
  }
}

/** Time a passed-on call gets beyond its own wait before its server counts as silent. */
const PEER_MARGIN_MS = 5_000;
const MAX_ID_LENGTH = 100;

function stringIn(record: unknown, key: string): string | undefined {
  if (typeof record !== 'object' || record === null) return undefined;
  const value = (record as Record<string, unknown>)[key];
  return typeof value === 'string' ? value : undefined;
}

function tokenOf(request: FastifyRequest, call: MemberCall): string | undefined {
  return call.tokenField === undefined
    ? stringIn(request.headers, MEMBER_TOKEN_HEADER)
    : stringIn(request.body, call.tokenField);
}

export function routeMemberCalls(
  app: FastifyInstance,
  desk: MemberDesk,
  peers: PeerForwarder,
): void {
  app.addHook('preHandler', async (request, reply) => {
    const call = request.routeOptions.config.memberCall;
    if (call === undefined) return;
    const id = stringIn(request.params, call.idParam);
    // Not an id at all: the handler's own checks answer.
    if (id === undefined || id.length > MAX_ID_LENGTH) return;
    const token = tokenOf(request, call);
    const forwardedBy = stringIn(request.headers, FORWARDED_HEADER);
    for (let attempt = 0; ; attempt++) {
      const peer = await desk.route(id, token, forwardedBy);
      if (peer === undefined) return;
      try {
        const answer = await peers.call({
          url: peer.url,
          method: request.method,
          path: request.url,
          headers: request.headers,
          body: request.body === undefined ? undefined : JSON.stringify(request.body),
          timeoutMs: (call.waitMs?.(request.body) ?? 0) + PEER_MARGIN_MS,
        });
        // Refused there (moving, stopping, overloaded): where the member is may have changed.
        if (answer.status === 503) desk.misdirected(id);
        return reply.code(answer.status).headers(answer.headers).send(answer.body);
      } catch (error) {
        if (!(error instanceof PeerUnreachable)) throw error;
        if (attempt > 0) {
          throw new OverloadedError(
            `the server hosting member ${id} does not answer; call again`,
            1000,
            {
              reason: 'member_server_unreachable',
              cause: error,
            },
          );
        }
        await desk.unreachable(id, peer.server, error.why === 'refused');
      }
    }
  });
}
