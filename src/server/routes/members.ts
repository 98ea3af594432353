import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import type { MemberDesk } from '../gateway/member-desk.js';
import type { LongPollCap } from '../long-polls.js';
import { MEMBER_TOKEN_HEADER } from '../gateway/member-desk.js';
import type { MemberCall } from '../gateway/member-calls.js';
import { MAX_WAIT_MS } from '../wire/requests.js';
import type { DeliveryResult, HostedMember } from '../gateway/hosted-member.js';
import type { DeliveryStatus } from '../gateway/delivery-ids.js';
import { documented } from '../openapi/route-doc.js';
import { fetchBody } from '../wire/fetch-body.js';
import { parseRequest } from '../wire/parse.js';
import {
  CommitBody,
  ConsumerMemberParams,
  ExtendBody,
  FetchBody,
  FetchResponse,
  HeartbeatResponse,
  ItemsResponse,
  MemberParams,
  StartMemberBody,
  StartedMemberJson,
  StoppedResponse,
} from '../wire/members.js';

/** What a member gets when its start says nothing. */
const DEFAULT_ACK_TIMEOUT_MS = 30_000;
const DEFAULT_MAX_IN_FLIGHT = 100;
const DEFAULT_SESSION_TIMEOUT_MS = 30_000;
const DEFAULT_FETCH_MAX = 10;
const DEFAULT_FETCH_BYTES = 1024 * 1024;

const OK: DeliveryResult = { outcome: 'ok' };

const MEMBER_CALL = { params: MemberParams, errors: [404, 409] } as const;

/** A route on one member: served by the server hosting it, wherever the call lands. */
function onMember(
  doc: Parameters<typeof documented>[1],
  waitMs?: (body: unknown) => number,
): ReturnType<typeof documented> & { config: { memberCall: MemberCall } } {
  const route = documented('consume', doc);
  return { config: { ...route.config, memberCall: { idParam: 'id', waitMs } } };
}

function fetchWait(body: unknown): number {
  const wait = (body as { wait?: unknown } | undefined)?.wait;
  return typeof wait === 'number' && wait > 0 ? Math.min(wait, MAX_WAIT_MS) : 0;
}

const START = documented('consume', {
  tag: 'members',
  summary:
    "Starts a member of the consumer for a worker over HTTP; the answer holds the member's token, this once",
  description:
    "The member competes for the consumer's partitions with every other member, in any process. Send the token in the `millrace-member-token` header of every call on the member.",
  params: ConsumerMemberParams,
  body: StartMemberBody,
  responses: { 201: { description: 'the member, running', schema: StartedMemberJson } },
});

const FETCH = onMember(
  {
    tag: 'members',
    summary:
      'Deliveries of the partitions this member owns, waiting up to `wait` ms for the first; counts as a heartbeat',
    ...MEMBER_CALL,
    body: FetchBody,
    responses: { 200: { description: 'deliveries (maybe none)', schema: FetchResponse } },
  },
  fetchWait,
);

const COMMIT = onMember({
  tag: 'members',
  summary:
    'Results for fetched deliveries (ok, retry, dead-letter, cancel), answered one by one: `ok` first, then `results`, each in its order',
  ...MEMBER_CALL,
  body: CommitBody,
  responses: {
    200: { description: 'each result: applied, fenced, expired or unknown', schema: ItemsResponse },
  },
});

const EXTEND = onMember({
  tag: 'members',
  summary: "Moves fetched deliveries' deadlines to `byMs` from now (work in progress)",
  ...MEMBER_CALL,
  body: ExtendBody,
  responses: {
    200: {
      description: 'each delivery: applied, fenced, expired or unknown',
      schema: ItemsResponse,
    },
  },
});

const HEARTBEAT = onMember({
  tag: 'members',
  summary: 'Says the worker is alive, between fetches',
  ...MEMBER_CALL,
  responses: { 200: { description: "the member's partitions", schema: HeartbeatResponse } },
});

const STOP = onMember({
  tag: 'members',
  summary:
    'Stops the member: deliveries not committed go to the next owner, the partitions move on at once',
  ...MEMBER_CALL,
  responses: { 200: { description: 'stopped', schema: StoppedResponse } },
});

function tokenOf(request: FastifyRequest): string | undefined {
  const value = request.headers[MEMBER_TOKEN_HEADER];
  return typeof value === 'string' ? value : undefined;
}

/** Members over HTTP: start, fetch, commit, extend, heartbeat, stop. Scope `consume`. */
export function memberRoutes(
  app: FastifyInstance,
  { desk, longPolls }: { desk: MemberDesk; longPolls: LongPollCap },
): void {
  const member = (request: FastifyRequest): HostedMember => {
    const { id } = parseRequest(MemberParams, request.params, 'params');
    return desk.get(id, tokenOf(request));
  };

  app.post(
    '/v1/consumers/:name/members',
    START,
    async (request, reply): Promise<z.input<typeof StartedMemberJson>> => {
      const { name } = parseRequest(ConsumerMemberParams, request.params, 'params');
      const body = parseRequest(StartMemberBody, request.body ?? {}, 'body');
      const terms = {
        ackTimeoutMs: body.ackTimeoutMs ?? DEFAULT_ACK_TIMEOUT_MS,
        maxInFlight: body.maxInFlight ?? DEFAULT_MAX_IN_FLIGHT,
        sessionTimeoutMs: body.sessionTimeoutMs ?? DEFAULT_SESSION_TIMEOUT_MS,
      };
      const { member: started, token } = await desk.start({
        consumer: {
          name,
          sequence: body.sequence,
          subjects: body.subjects,
          partitions: body.partitions,
          ordering: body.ordering,
          maxAttempts: body.maxAttempts,
          retry: body.retry,
          startFrom: body.startFrom,
        },
        terms,
        worker: body.worker ?? request.ip,
      });
      void reply.code(201).header('cache-control', 'no-store');
      return {
        memberId: started.id,
        consumer: name,
        partitions: started.partitions,
        ...terms,
        token,
      };
    },
  );

  app.post('/v1/members/:id/fetch', FETCH, async (request, reply): Promise<Buffer> => {
    const found = member(request);
    const body = parseRequest(FetchBody, request.body ?? {}, 'body');
    const closed = new AbortController();
    request.raw.once('close', () => closed.abort());
    const waitMs = body.wait ?? 0;
    const fetch = () =>
      found.fetch(
        body.max ?? DEFAULT_FETCH_MAX,
        body.maxBytes ?? DEFAULT_FETCH_BYTES,
        waitMs,
        closed.signal,
      );
    // A fetch that may wait holds a connection: it counts against the server's long polls.
    const answer = waitMs > 0 ? await longPolls.run(fetch) : await fetch();
    const partitions = found.partitions;
    const lag = desk.lag.lagOf(found.consumerName, partitions);
    // Bytes, sent as they are (see wire/fetch-body.ts); the OpenAPI test holds them to FetchResponse.
    void reply.type('application/json; charset=utf-8');
    return fetchBody(answer, partitions, lag, found.terms.maxInFlight);
  });

  app.post('/v1/members/:id/commit', COMMIT, (request): z.input<typeof ItemsResponse> => {
    const { id } = parseRequest(MemberParams, request.params, 'params');
    const body = parseRequest(CommitBody, request.body ?? {}, 'body');
    // A member that ended: every delivery it held is another member's now.
    const found = desk.endedWith(id, tokenOf(request)) ? undefined : desk.get(id, tokenOf(request));
    found?.touch();
    const status = (delivery: string, result: DeliveryResult): DeliveryStatus =>
      found?.commit(delivery, result) ?? 'fenced';
    const results = (body.ok ?? []).map((delivery) => ({
      id: delivery,
      status: status(delivery, OK),
    }));
    for (const item of body.results ?? [])
      results.push({ id: item.id, status: status(item.id, item) });
    return { results };
  });

  app.post('/v1/members/:id/extend', EXTEND, (request): z.input<typeof ItemsResponse> => {
    const found = member(request);
    const body = parseRequest(ExtendBody, request.body ?? {}, 'body');
    found.touch();
    return { results: body.ids.map((id) => ({ id, status: found.extend(id, body.byMs) })) };
  });

  app.post('/v1/members/:id/heartbeat', HEARTBEAT, (request): z.input<typeof HeartbeatResponse> => {
    const found = member(request);
    found.touch();
    return { partitions: found.partitions, inFlight: found.inFlight };
  });

  app.delete('/v1/members/:id', STOP, async (request): Promise<z.input<typeof StoppedResponse>> => {
    const found = member(request);
    await found.end('stopped');
    return { stopped: found.id };
  });
}
