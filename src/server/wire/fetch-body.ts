/**
 * A fetch's answer (FetchResponse in wire/members.ts) as bytes. A fetch of
 * hundreds of events is the gateway's hottest path: each delivery's JSON is
 * encoded once, when its event is parked for the worker, with everything but
 * the deadline (known only at the fetch); the answer copies those bytes into
 * one buffer around the deadlines. Building objects to stringify them, or
 * sending a string Node must measure and encode again, costs more than all
 * the rest of a fetch.
 */
import type { Event } from '../../core/event.js';
import type { FetchAnswer } from '../gateway/hosted-member.js';

/** `,"deadline":"<ISO time>"}` after a delivery's parked bytes, and a comma. */
const DEADLINE_TAIL = ',"deadline":"2026-01-01T00:00:00.000Z"},'.length;

/** An event's wire JSON (EventJson), as eventJson in wire/responses.ts gives it. */
export function eventText(event: Event): string {
  return (
    `{"id":${JSON.stringify(event.id)},"stream":${JSON.stringify(event.stream)},` +
    `"category":${JSON.stringify(event.category)},"subject":${JSON.stringify(event.subject)},` +
    `"data":${JSON.stringify(event.data)},"metadata":${JSON.stringify(event.metadata)},` +
    `"position":"${event.position}","version":${event.version},"time":"${event.time.toISOString()}"}`
  );
}

/** A parked delivery's bytes: its JSON up to where its deadline goes. */
export function parkedDelivery(
  id: string,
  partition: number,
  attempt: number,
  event: Event,
): Buffer {
  return Buffer.from(
    `{"id":${JSON.stringify(id)},"partition":${partition},"attempt":${attempt},` +
      `"event":${eventText(event)}`,
  );
}

/** What a parked delivery weighs in a fetch's answer. */
export function deliveryBytes(parked: Buffer): number {
  return parked.length + DEADLINE_TAIL;
}

/** The answer to a fetch: FetchResponse's JSON, as bytes. */
export function fetchBody(
  answer: FetchAnswer,
  partitions: readonly number[],
  lag: Record<string, number>,
  maxInFlight: number,
): Buffer {
  const head = Buffer.from('{"deliveries":[');
  const tail = Buffer.from(
    `],"partitions":${JSON.stringify(partitions)},"lag":${JSON.stringify(lag)},` +
      `"inFlight":${answer.inFlight},"maxInFlight":${maxInFlight},"atCapacity":${answer.atCapacity}}`,
  );
  // The deliveries of one fetch share a deadline (one Date); an extended one has its own.
  const tails = new Map<Date, string>();
  let size = head.length + tail.length;
  for (const delivery of answer.deliveries) {
    let deadlineTail = tails.get(delivery.deadline);
    if (deadlineTail === undefined) {
      deadlineTail = `,"deadline":"${delivery.deadline.toISOString()}"}`;
      tails.set(delivery.deadline, deadlineTail);
    }
    size += delivery.parked.length + deadlineTail.length + 1;
  }
  const body = Buffer.allocUnsafe(size);
  let at = head.copy(body, 0);
  for (const [index, delivery] of answer.deliveries.entries()) {
    if (index > 0) at += body.write(',', at, 'latin1');
    at += delivery.parked.copy(body, at);
    at += body.write(tails.get(delivery.deadline) as string, at, 'latin1');
  }
  at += tail.copy(body, at);
  return body.subarray(0, at);
}
