/**
 * Members over HTTP, on a real server over real HTTP, on both PostgreSQL
 * providers: a worker starts a member, fetches deliveries and commits
 * results, and gets the library's guarantees: stream order, retries, dead
 * letters, deadlines from the fetch, an in-flight cap it is told about, and
 * deliveries that go to the next owner unhandled when a member stops or
 * falls silent, after which its late commits are fenced.
 */
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Millrace } from '../../src/index.js';
import { createServer } from '../../src/server/server.js';
import { PROVIDERS, openBackend, type TestBackend } from '../support/providers.js';
import { httpCall, takeDeliveries } from '../support/http-call.js';
import { waitFor } from '../support/wait.js';

interface DeliveryJson {
  id: string;
  partition: number;
  attempt: number;
  deadline: string;
  event: { id: string; stream: string; subject: string; data: unknown; position: string };
}

interface FetchJson {
  deliveries: DeliveryJson[];
  partitions: number[];
  lag: Record<string, number>;
  inFlight: number;
  maxInFlight: number;
  atCapacity: boolean;
}

const silent = pino({ level: 'silent' });
let consumerSeq = 0;

describe.each(PROVIDERS)('members over HTTP on %s', (provider) => {
  let backend: TestBackend;
  let millrace: Millrace;
  let app: FastifyInstance;
  let base: string;
  const started: Worker[] = [];

  const call = <T>(method: string, path: string, body?: unknown, token?: string) =>
    httpCall<T>(base, method, path, { body, token });

  /** A worker as a user's program would be: it knows its member id and token. */
  class Worker {
    constructor(
      readonly id: string,
      readonly token: string,
    ) {}

    fetch(body: { max?: number; wait?: number; maxBytes?: number } = {}) {
      return call<FetchJson>('POST', `/v1/members/${this.id}/fetch`, body, this.token);
    }

    /** Fetches until `count` deliveries came, each fetch long-polling. */
    take(count: number): Promise<DeliveryJson[]> {
      return takeDeliveries<DeliveryJson>(
        base,
        { memberId: this.id, token: this.token },
        count,
        20_000,
      );
    }

    commit(results: { id: string; outcome: string; afterMs?: number; reason?: string }[]) {
      return this.commitBody({ results });
    }

    commitBody(body: unknown) {
      return call<{ results: { id: string; status: string }[] }>(
        'POST',
        `/v1/members/${this.id}/commit`,
        body,
        this.token,
      );
    }

    stop() {
      return call<{ stopped: string }>('DELETE', `/v1/members/${this.id}`, undefined, this.token);
    }
  }

  /** Each test's consumer reads a category of its own, named like it. */
  async function startWorker(consumer: string, options: Record<string, unknown> = {}) {
    const { status, body } = await call<{ memberId: string; token: string; partitions: number[] }>(
      'POST',
      `/v1/consumers/${consumer}/members`,
      { sequence: `category:${consumer}`, partitions: 2, ...options },
    );
    expect(status).toBe(201);
    const worker = new Worker(body.memberId, body.token);
    started.push(worker);
    return worker;
  }

  const ok = (deliveries: DeliveryJson[]) => deliveries.map((d) => ({ id: d.id, outcome: 'ok' }));

  beforeAll(async () => {
    backend = await openBackend(provider);
    millrace = await backend.open({ logger: silent });
    app = createServer({ millrace, logger: silent });
    await app.listen({ port: 0, host: '127.0.0.1' });
    const address = app.server.address() as { port: number };
    base = `http://127.0.0.1:${address.port}`;
  });

  afterEach(async () => {
    for (const worker of started.splice(0)) await worker.stop();
  });

  afterAll(async () => {
    await app?.close();
    await backend?.close();
  });

  const newConsumer = () => `members${++consumerSeq}`;

  it('hands out a stream one event at a time, the next as soon as the one before is committed', async () => {
    const consumer = newConsumer();
    const worker = await startWorker(consumer, { partitions: 1 });
    await millrace.publishBatch([
      { stream: `${consumer}-a`, subject: 'order.created', data: 1 },
      { stream: `${consumer}-a`, subject: 'order.paid', data: 2 },
      { stream: `${consumer}-b`, subject: 'order.created', data: 3 },
    ]);
    const first = await worker.take(2);
    expect(first.map((d) => [d.event.stream, d.event.subject]).sort()).toEqual([
      [`${consumer}-a`, 'order.created'],
      [`${consumer}-b`, 'order.created'],
    ]);
    expect(first.every((d) => d.attempt === 1 && Date.parse(d.deadline) > Date.now())).toBe(true);
    // order-a's next event waits for its first: nothing more comes while it is out.
    expect((await worker.fetch({ wait: 200 })).body.deliveries).toEqual([]);
    const a = first.find((d) => d.event.stream === `${consumer}-a`) as DeliveryJson;
    expect((await worker.commit(ok([a]))).body.results).toEqual([{ id: a.id, status: 'applied' }]);
    const [next] = await worker.take(1);
    expect(next?.event.subject).toBe('order.paid');
    await worker.commit(ok([next as DeliveryJson, ...first.filter((d) => d !== a)]));
    await waitFor(
      async () => (await millrace.consumerStatus(consumer)).lag === 0,
      'the committed positions',
    );
  });

  it('retries after the delay asked, dead-letters and cancels as committed', async () => {
    const consumer = newConsumer();
    const worker = await startWorker(consumer, { partitions: 1, ordering: 'none' });
    await millrace.publishBatch([
      { stream: `${consumer}-r`, subject: 'order.retry', data: 1 },
      { stream: `${consumer}-d`, subject: 'order.dead', data: 2 },
      { stream: `${consumer}-c`, subject: 'order.cancel', data: 3 },
    ]);
    const taken = await worker.take(3);
    const by = (subject: string) => taken.find((d) => d.event.subject === subject) as DeliveryJson;
    const answer = await worker.commit([
      { id: by('order.retry').id, outcome: 'retry', afterMs: 0, reason: 'busy' },
      { id: by('order.dead').id, outcome: 'dead-letter', reason: 'malformed' },
      { id: by('order.cancel').id, outcome: 'cancel' },
      { id: 'd.0.1.1.no-such-delivery', outcome: 'ok' },
    ]);
    expect(answer.body.results.map((r) => r.status)).toEqual([
      'applied',
      'applied',
      'applied',
      'unknown',
    ]);
    const [again] = await worker.take(1);
    expect(again).toMatchObject({ attempt: 2, event: { subject: 'order.retry' } });
    await worker.commit(ok([again as DeliveryJson]));
    await waitFor(
      async () => (await millrace.deadLetters.list({ consumer })).records.length === 1,
      'the dead letter',
    );
    const [dead] = (await millrace.deadLetters.list({ consumer })).records;
    expect(dead).toMatchObject({ state: 'discarded', lastError: { message: 'malformed' } });
  });

  it('commits by id alone in `ok`, beside `results`, answering `ok` first then `results`', async () => {
    const consumer = newConsumer();
    const worker = await startWorker(consumer, { partitions: 1, ordering: 'none' });
    await millrace.publishBatch(
      [1, 2, 3].map((n) => ({ stream: `${consumer}-${n}`, subject: 'order.placed', data: n })),
    );
    const [a, b, c] = (await worker.take(3)) as [DeliveryJson, DeliveryJson, DeliveryJson];
    for (const body of [{}, { ok: [] }, { ok: [], results: [] }, { ok: [1] }]) {
      expect((await worker.commitBody(body)).status, JSON.stringify(body)).toBe(400);
    }
    const answer = await worker.commitBody({
      results: [{ id: c.id, outcome: 'retry', afterMs: 0 }],
      ok: [b.id, 'd.0.1.1.no-such-delivery', a.id],
    });
    expect(answer.body.results).toEqual([
      { id: b.id, status: 'applied' },
      { id: 'd.0.1.1.no-such-delivery', status: 'unknown' },
      { id: a.id, status: 'applied' },
      { id: c.id, status: 'applied' },
    ]);
    const [again] = await worker.take(1);
    expect(again).toMatchObject({ attempt: 2, event: { data: 3 } });
    expect((await worker.commitBody({ ok: [again?.id, a.id] })).body.results).toEqual([
      { id: again?.id, status: 'applied' },
      { id: a.id, status: 'unknown' },
    ]);
  });

  it('gives a delivery its next attempt once its deadline passes, and says so to a late commit', async () => {
    const consumer = newConsumer();
    const worker = await startWorker(consumer, { partitions: 1, ackTimeoutMs: 300 });
    await millrace.publish({ stream: `${consumer}-t`, subject: 'order.created', data: 1 });
    const [late] = await worker.take(1);
    const [again] = await worker.take(1);
    expect(again).toMatchObject({ attempt: 2, event: { id: late?.event.id } });
    expect((await worker.commit(ok([late as DeliveryJson]))).body.results[0]?.status).toBe(
      'expired',
    );
    expect((await worker.commit(ok([again as DeliveryJson]))).body.results[0]?.status).toBe(
      'applied',
    );
  });

  it('tells a worker at its in-flight cap so, rather than answering nothing', async () => {
    const consumer = newConsumer();
    const worker = await startWorker(consumer, {
      partitions: 1,
      ordering: 'none',
      maxInFlight: 2,
    });
    await millrace.publishBatch(
      [1, 2, 3].map((n) => ({ stream: `${consumer}-cap${n}`, subject: 'order.created', data: n })),
    );
    const taken = await worker.take(2);
    const full = await worker.fetch({ wait: 100 });
    expect(full.body).toMatchObject({
      deliveries: [],
      inFlight: 2,
      maxInFlight: 2,
      atCapacity: true,
    });
    await worker.commit(ok(taken));
    const [third] = await worker.take(1);
    expect(third?.event.data).toBe(3);
  });

  it("reports its partitions' lag, and sees it fall as it commits", async () => {
    const consumer = newConsumer();
    const worker = await startWorker(consumer, { partitions: 1, maxInFlight: 1 });
    await millrace.publishBatch(
      [1, 2, 3].map((n) => ({ stream: `${consumer}-${n}`, subject: 'order.created', data: n })),
    );
    // Each look at the lag is a fetch: what it hands out is committed below.
    const handedOut: DeliveryJson[] = [];
    const lagNow = async () => {
      const { body } = await worker.fetch({ max: 1 });
      handedOut.push(...body.deliveries);
      return body.lag['0'];
    };
    await waitFor(async () => (await lagNow()) === 3, 'a lag of three events');
    let committed = 0;
    while (committed < 3) {
      const delivery = handedOut.shift() ?? (await worker.take(1))[0];
      await worker.commit(ok([delivery as DeliveryJson]));
      committed++;
    }
    await waitFor(async () => (await lagNow()) === 0, 'no lag once all is committed');
  });

  it('on stop gives what was not committed to the next owner, unhandled; the old commit is fenced', async () => {
    const consumer = newConsumer();
    const first = await startWorker(consumer, { partitions: 1 });
    await millrace.publish({ stream: `${consumer}-s`, subject: 'order.created', data: 1 });
    const [held] = await first.take(1);
    expect((await first.stop()).status).toBe(200);
    started.splice(started.indexOf(first), 1);
    const second = await startWorker(consumer, { partitions: 1 });
    const [moved] = await second.take(1);
    // The same event, and the stop counted no attempt.
    expect(moved).toMatchObject({ attempt: 1, event: { id: held?.event.id } });
    expect((await first.commit(ok([held as DeliveryJson]))).body.results[0]?.status).toBe('fenced');
    expect((await second.commit(ok([moved as DeliveryJson]))).body.results[0]?.status).toBe(
      'applied',
    );
  });

  it('ends a silent member after its session timeout: its partitions move on, its calls are fenced', async () => {
    const consumer = newConsumer();
    const silentWorker = await startWorker(consumer, { partitions: 1, sessionTimeoutMs: 1000 });
    started.splice(started.indexOf(silentWorker), 1);
    await millrace.publish({ stream: `${consumer}-x`, subject: 'order.created', data: 1 });
    const [held] = await silentWorker.take(1);
    const other = await startWorker(consumer, { partitions: 1 });
    // The silent member says nothing more; the other one gets its partition and the event.
    const [moved] = await other.take(1);
    expect(moved).toMatchObject({ attempt: 1, event: { id: held?.event.id } });
    const refused = await silentWorker.fetch();
    expect(refused.status).toBe(409);
    expect(refused.body).toMatchObject({ error: { code: 'fenced', reason: 'member_expired' } });
    expect((await silentWorker.commit(ok([held as DeliveryJson]))).body.results[0]?.status).toBe(
      'fenced',
    );
  });

  it("refuses a member's calls without its token, and an unknown member", async () => {
    const worker = await startWorker(newConsumer());
    const wrong = new Worker(worker.id, 'mmt_not-the-token');
    const refused = await wrong.fetch();
    expect(refused.status).toBe(401);
    expect(refused.body).toMatchObject({ error: { reason: 'invalid_member_token' } });
    const unknown = await new Worker(
      'http-00000000-0000-0000-0000-000000000000',
      worker.token,
    ).fetch();
    expect(unknown.status).toBe(404);
    const bad = await call('POST', `/v1/consumers/${newConsumer()}/members`, { sequence: 'nope' });
    expect(bad.status).toBe(400);
  });

  it('competes with a library member of the same consumer for its partitions', async () => {
    const consumer = newConsumer();
    const handled: string[] = [];
    const library = millrace.consumer({
      name: consumer,
      sequence: { category: consumer },
      partitions: 4,
      handler: (event) => void handled.push(event.id),
    });
    await library.start();
    const worker = await startWorker(consumer, { partitions: 4 });
    await waitFor(() => library.partitions.length === 2, 'the partitions split two and two');
    const events = await millrace.publishBatch(
      Array.from({ length: 40 }, (_, n) => ({
        stream: `${consumer}-m${n}`,
        subject: 'order.created',
        data: n,
      })),
    );
    const overHttp: string[] = [];
    await waitFor(
      async () => {
        const { body } = await worker.fetch({ max: 100, wait: 500 });
        overHttp.push(...body.deliveries.map((d) => d.event.id));
        await worker.commit(ok(body.deliveries));
        return handled.length + overHttp.length >= events.length;
      },
      'every event handled by one member or the other',
      20_000,
    );
    expect(overHttp.length).toBeGreaterThan(0);
    expect(handled.length).toBeGreaterThan(0);
    expect(new Set([...handled, ...overHttp])).toEqual(new Set(events.map((e) => e.id)));
    await library.stop();
  });

  it('registers a consumer before any member, updates it, and refuses another sequence', async () => {
    const name = `registered${++consumerSeq}`;
    const path = `/v1/consumers/${name}`;
    const created = await call<{ name: string; positions: unknown[]; maxAttempts: number }>(
      'PUT',
      path,
      { sequence: 'category:invoice', partitions: 4, maxAttempts: 3, startFrom: 'end' },
    );
    expect(created).toMatchObject({ status: 201, body: { name, partitions: 4, maxAttempts: 3 } });
    expect(created.body.positions).toHaveLength(4);
    const updated = await call<{ positions: unknown[]; maxAttempts: number }>('PUT', path, {
      sequence: 'category:invoice',
      partitions: 2,
      maxAttempts: 7,
    });
    expect(updated).toMatchObject({ status: 200, body: { partitions: 2, maxAttempts: 7 } });
    expect(updated.body.positions).toHaveLength(2);

    // Another sequence under the same name, or nonsense: refused, and the consumer is as it was.
    const other = await call<{ error: { code: string } }>('PUT', path, { sequence: 'log' });
    expect(other).toMatchObject({ status: 409, body: { error: { code: 'conflict' } } });
    for (const body of [
      { sequence: 'category:invoice', partitions: 0 },
      { sequence: 'nope:x' },
      {},
    ]) {
      expect((await call('PUT', path, body)).status).toBe(400);
    }
    const status = await millrace.consumerStatus(name);
    expect([status.sequence, status.partitions, status.maxAttempts]).toEqual([
      { kind: 'category', category: 'invoice' },
      2,
      7,
    ]);
    expect(await millrace.consumerStatuses()).toEqual(
      expect.arrayContaining([expect.objectContaining({ name })]),
    );
  });
});
