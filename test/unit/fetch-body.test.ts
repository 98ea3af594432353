/**
 * A fetch's answer is built from bytes made when each event was parked
 * (src/server/wire/fetch-body.ts): it must read back as the same JSON the
 * schemas describe, whatever the event holds.
 */
import { describe, expect, it } from 'vitest';
import type { Event } from '../../src/core/event.js';
import type { FetchAnswer } from '../../src/server/gateway/hosted-member.js';
import { deliveryBytes, fetchBody, parkedDelivery } from '../../src/server/wire/fetch-body.js';
import { FetchResponse } from '../../src/server/wire/members.js';
import { eventJson } from '../../src/server/wire/responses.js';

const event = (over: Partial<Event>): Event => ({
  id: '0193a8f2-7c4e-7b21-9f3a-1c2d3e4f5a6b',
  stream: 'order-1',
  category: 'order',
  subject: 'order.placed',
  data: { total: 129.95 },
  metadata: {},
  position: '42',
  version: 3,
  time: new Date('2026-12-07T09:00:00.123Z'),
  ...over,
});

const EVENTS = [
  event({}),
  event({ data: 'quotes " and \\\\ and \\n newlines', metadata: { traceparent: '00-ab' } }),
  event({ data: { name: 'Zoë 🚀 日本', list: [1, null, true, { a: [] }] }, stream: 'ordér-ü' }),
  event({ data: null, position: '9007199254740993', version: 0 }),
  event({ data: [], subject: 'a-b.c_d.9' }),
];

describe('fetch answers as bytes', () => {
  it('reads back as FetchResponse, events as eventJson gives them, and weighs what it says', () => {
    const deadline = new Date('2026-12-07T09:00:30.000Z');
    const extended = new Date('2026-12-07T10:00:00.000Z');
    const deliveries = EVENTS.map((e, i) => {
      const id = `d.${i}.1.2.${e.id}`;
      const parked = parkedDelivery(id, i, 2, e);
      return {
        id,
        partition: i,
        attempt: 2,
        event: e,
        parked,
        deadline: i === 2 ? extended : deadline,
      };
    });
    const answer: FetchAnswer = { deliveries, inFlight: 7, atCapacity: false };
    const body = fetchBody(answer, [0, 1], { '0': 5, '1': 0 }, 10);
    const parsed = JSON.parse(body.toString('utf8')) as unknown;
    expect(FetchResponse.safeParse(parsed).success).toBe(true);
    expect(parsed).toEqual({
      deliveries: deliveries.map((d) => ({
        id: d.id,
        partition: d.partition,
        attempt: 2,
        event: JSON.parse(JSON.stringify(eventJson(d.event))) as unknown,
        deadline: d.deadline.toISOString(),
      })),
      partitions: [0, 1],
      lag: { '0': 5, '1': 0 },
      inFlight: 7,
      maxInFlight: 10,
      atCapacity: false,
    });
    const overhead = body.length - deliveries.reduce((sum, d) => sum + deliveryBytes(d.parked), 0);
    // What the deliveries weigh covers them: only the answer's frame is left over (and one comma fewer).
    expect(overhead).toBe(
      fetchBody({ deliveries: [], inFlight: 7, atCapacity: false }, [0, 1], { '0': 5, '1': 0 }, 10)
        .length - 1,
    );
  });

  it('answers no deliveries as an empty list', () => {
    const body = fetchBody({ deliveries: [], inFlight: 0, atCapacity: true }, [], {}, 1);
    expect(JSON.parse(body.toString())).toEqual({
      deliveries: [],
      partitions: [],
      lag: {},
      inFlight: 0,
      maxInFlight: 1,
      atCapacity: true,
    });
  });
});
