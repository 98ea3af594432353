/**
 * A work queue in the shape of imicros-flow-worker's actions, for services
 * written against it: a service's tasks are the category named after it; a
 * consumer (a member, as on /v1/members) fetches one task at a time and
 * commits it with its result. The key may come as `serviceToken` in the
 * body instead of the Authorization header; the consumer's token comes as
 * `consumerToken`. The same guarantees hold as on /v1/members.
 */
import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { z } from 'zod';
import type { Millrace } from '../../millrace.js';
import type { MemberDesk } from '../gateway/member-desk.js';
import type { HostedMember } from '../gateway/hosted-member.js';
import type { MemberCall } from '../gateway/member-calls.js';
import { documented } from '../openapi/route-doc.js';
import { parseRequest } from '../wire/parse.js';
import {
  AddTaskBody,
  AddedTaskJson,
  CommitTaskBody,
  CommittedTaskJson,
  FetchedTaskJson,
  QueueConsumerParams,
  QueueTokenBody,
  StartQueueBody,
  StartedQueueJson,
  StoppedQueueJson,
  taskJson,
} from '../wire/work-queue.js';

const TERMS = { ackTimeoutMs: 30_000, maxInFlight: 1, sessionTimeoutMs: 60_000 };
/** How long a fetch waits for a task before answering `task: null`. */
const FETCH_WAIT_MS = 10_000;

const KEY_IN_BODY = { keyField: 'serviceToken' } as const;

function queueRoute(
  access: 'consume' | 'publish',
  doc: Parameters<typeof documented>[1],
  memberCall?: MemberCall,
): { config: ReturnType<typeof documented>['config'] & { memberCall?: MemberCall } } {
  const route = documented(access, doc);
  return { config: { ...route.config, ...KEY_IN_BODY, memberCall } };
}

const ADD = queueRoute('publish', {
  tag: 'work queue',
  summary: "Adds a task to a service's queue (the category named after the service)",
  body: AddTaskBody,
  responses: { 201: { description: 'the task, queued', schema: AddedTaskJson } },
});

const START = queueRoute('consume', {
  tag: 'work queue',
  summary: "Starts a consumer of a service's queue; one per partition works at a time",
  body: StartQueueBody,
  responses: { 201: { description: 'the consumer and its token', schema: StartedQueueJson } },
});

/** A call on one consumer (a member): its id in the path, its token in the body. */
function consumerCall(
  doc: Omit<Parameters<typeof documented>[1], 'tag' | 'params' | 'errors'>,
  waitMs?: () => number,
): ReturnType<typeof queueRoute> {
  return queueRoute(
    'consume',
    { ...doc, tag: 'work queue', params: QueueConsumerParams, errors: [404, 409] },
    { idParam: 'consumerId', tokenField: 'consumerToken', waitMs },
  );
}

const FETCH = consumerCall(
  {
    summary: 'The next task, or null after a wait of up to 10 s',
    body: QueueTokenBody,
    responses: { 200: { description: 'a task or null', schema: FetchedTaskJson } },
  },
  () => FETCH_WAIT_MS,
);

const COMMIT = consumerCall({
  summary: 'Commits a fetched task with its result',
  body: CommitTaskBody,
  responses: { 200: { description: 'the task and its result', schema: CommittedTaskJson } },
});

const STOP = consumerCall({
  summary: 'Stops the consumer: a task not committed goes to the next consumer',
  body: QueueTokenBody,
  responses: { 200: { description: 'done', schema: StoppedQueueJson } },
});

export function workQueueRoutes(app: FastifyInstance, millrace: Millrace, desk: MemberDesk): void {
  const consumerOf = (params: unknown, body: { consumerToken: string }): HostedMember => {
    const { consumerId } = parseRequest(QueueConsumerParams, params, 'params');
    return desk.get(consumerId, body.consumerToken);
  };

  app.post(
    '/publisher/add',
    ADD,
    async (request, reply): Promise<z.input<typeof AddedTaskJson>> => {
      const body = parseRequest(AddTaskBody, request.body ?? {}, 'body');
      const event = await millrace.publish({
        stream: `${body.service}-${randomUUID()}`,
        subject: `${body.service}.task`,
        data: body.payload,
      });
      void reply.code(201);
      return {
        topic: body.service,
        service: body.service,
        uid: event.id,
        timestamp: event.time.getTime(),
        version: event.version,
      };
    },
  );

  app.post(
    '/consumer/start',
    START,
    async (request, reply): Promise<z.input<typeof StartedQueueJson>> => {
      const body = parseRequest(StartQueueBody, request.body ?? {}, 'body');
      const { member, token } = await desk.start({
        consumer: {
          name: body.service,
          sequence: { category: body.service },
          partitions: body.partitions,
          ordering: 'none',
        },
        terms: TERMS,
        worker: request.ip,
      });
      void reply.code(201).header('cache-control', 'no-store');
      return { consumerId: member.id, consumerToken: token };
    },
  );

  app.post(
    '/consumer/:consumerId/fetch',
    FETCH,
    async (request): Promise<z.input<typeof FetchedTaskJson>> => {
      const body = parseRequest(QueueTokenBody, request.body ?? {}, 'body');
      const consumer = consumerOf(request.params, body);
      const closed = new AbortController();
      request.raw.once('close', () => closed.abort());
      const { deliveries } = await consumer.fetch(
        1,
        Number.MAX_SAFE_INTEGER,
        FETCH_WAIT_MS,
        closed.signal,
      );
      const [delivery] = deliveries;
      return { task: delivery === undefined ? null : taskJson(consumer.consumerName, delivery) };
    },
  );

  app.post('/consumer/:consumerId/commit', COMMIT, (request): z.input<typeof CommittedTaskJson> => {
    const body = parseRequest(CommitTaskBody, request.body ?? {}, 'body');
    const consumer = consumerOf(request.params, body);
    consumer.touch();
    const status = consumer.commit(body.task.id, { outcome: 'ok' });
    return { task: body.task, result: body.result, status };
  });

  app.post(
    '/consumer/:consumerId/stop',
    STOP,
    async (request): Promise<z.input<typeof StoppedQueueJson>> => {
      const body = parseRequest(QueueTokenBody, request.body ?? {}, 'body');
      await consumerOf(request.params, body).end('stopped');
      return { done: true };
    },
  );
}
