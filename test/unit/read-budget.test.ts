/**
 * Reads cut to a byte budget, loaded in rounds (on the in-memory provider):
 * where a cut page says to go on, including a cut at a round's first event,
 * and that rounds scan no further than one read of the same limit. The same
 * for the list of delayed events.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Millrace } from '../../src/index.js';
import { memory } from '../../src/testing.js';
import {
  listScheduled,
  readEvents,
  type JsonReadPage,
  type JsonScheduledPage,
} from '../../src/server/read-budget.js';

let millrace: Millrace;

beforeEach(async () => {
  millrace = await Millrace.open({ provider: memory() });
  await millrace.publishBatch(
    Array.from({ length: 10 }, (_, n) => ({
      stream: `item-${n}`,
      subject: n % 3 === 0 ? 'item.kept' : 'item.skipped',
      data: { n },
    })),
  );
});

afterEach(() => millrace.close());

const numbers = (page: JsonReadPage) =>
  page.events.map((json) => (JSON.parse(json) as { data: { n: number } }).data.n);

/** One event's JSON size here (they differ only in digits). */
async function eventBytes(): Promise<number> {
  const page = await readEvents(millrace, { limit: 1 }, { maxBytes: 1e9, roundSize: 1 });
  return Buffer.byteLength(page.events[0] ?? '') + 1;
}

describe('readEvents', () => {
  it('cuts at the budget, at a round boundary too, and next goes on without a gap', async () => {
    const size = await eventBytes();
    // Three events fit; rounds of three, so the fourth is the next round's first.
    const budget = { maxBytes: 3 * size + 2, roundSize: 3 };
    const seen: number[] = [];
    let after: string | undefined;
    for (let pages = 0; pages < 10; pages++) {
      const page = await readEvents(millrace, { after, limit: 100 }, budget);
      expect(page.events.length).toBeLessThanOrEqual(3);
      seen.push(...numbers(page));
      expect(JSON.parse(page.body)).toMatchObject({ next: page.next, hasMore: page.hasMore });
      if (!page.hasMore) break;
      after = page.next;
    }
    expect(seen).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('always answers one event, however large', async () => {
    const page = await readEvents(millrace, { limit: 5 }, { maxBytes: 1, roundSize: 2 });
    expect(numbers(page)).toEqual([0]);
    expect(page.hasMore).toBe(true);
  });

  it('with a subject filter, rounds scan what one read of the limit scans', async () => {
    const subjects = ['item.kept'];
    const whole = await millrace.read({ limit: 7, subjects });
    const rounds = await readEvents(
      millrace,
      { limit: 7, subjects },
      { maxBytes: 1e9, roundSize: 2 },
    );
    expect(numbers(rounds)).toEqual(whole.events.map((e) => (e.data as { n: number }).n));
    expect(rounds.next).toBe(whole.next);
    expect(rounds.hasMore).toBe(whole.hasMore);
  });
});

describe('listScheduled', () => {
  beforeEach(async () => {
    // The same time for every one: schedule order alone sets theirs.
    const deliverAt = new Date(Date.now() + 3_600_000);
    await millrace.publishBatch(
      Array.from({ length: 10 }, (_, n) => ({
        stream: `later-${n}`,
        subject: 'later.due',
        data: { n },
        deliverAt,
      })),
    );
  });

  const scheduledNumbers = (page: JsonScheduledPage) =>
    (JSON.parse(page.events) as { data: { n: number } }[]).map((event) => event.data.n);

  it('cuts at the budget, at a round boundary too, and next goes on without a gap', async () => {
    const [first] = JSON.parse(
      (await listScheduled(millrace, { limit: 1 }, { maxBytes: 1e9, roundSize: 1 })).events,
    ) as unknown[];
    const size = Buffer.byteLength(JSON.stringify(first)) + 1;
    const budget = { maxBytes: 3 * size + 2, roundSize: 3 };
    const seen: number[] = [];
    let after: string | undefined;
    for (let pages = 0; pages < 10; pages++) {
      const page = await listScheduled(millrace, { after, limit: 100 }, budget);
      expect(scheduledNumbers(page).length).toBeLessThanOrEqual(3);
      seen.push(...scheduledNumbers(page));
      if (page.next === undefined) break;
      after = page.next;
    }
    expect(seen).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('always answers one event, however large', async () => {
    const page = await listScheduled(millrace, { limit: 5 }, { maxBytes: 1, roundSize: 2 });
    expect(scheduledNumbers(page)).toEqual([0]);
    const rest = await listScheduled(
      millrace,
      { after: page.next, limit: 100 },
      { maxBytes: 1e9, roundSize: 4 },
    );
    expect(scheduledNumbers(rest)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(rest.next).toBeUndefined();
  });

  it('next is set by a limit that leaves events behind, and not by one that takes the last', async () => {
    const budget = { maxBytes: 1e9, roundSize: 3 };
    const cut = await listScheduled(millrace, { limit: 7 }, budget);
    expect(scheduledNumbers(cut)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    const rest = await listScheduled(millrace, { after: cut.next, limit: 3 }, budget);
    expect(scheduledNumbers(rest)).toEqual([7, 8, 9]);
    expect(rest.next).toBeUndefined();
  });
});
