import { describe, expect, it } from 'vitest';
import type { FullBufferPolicy } from '../../src/bridge/bridge-options.js';
import { MessageBuffer, messageHash, type HeardMessage } from '../../src/bridge/message-buffer.js';

/** Each message below is held as 100 bytes: 3 of payload, 1 of channel, 96 of overhead. */
const MESSAGE_BYTES = 100;
const encoder = new TextEncoder();

function payload(n: number): Uint8Array {
  return encoder.encode(String(n % 1000).padStart(3, '0'));
}

function buffer(
  options: Partial<{ bufferBytes: number; keepMs: number; whenFull: FullBufferPolicy }> = {},
): MessageBuffer {
  return new MessageBuffer({
    bufferBytes: 1_000_000,
    keepMs: 1_000_000,
    whenFull: 'drop-oldest',
    ...options,
  });
}

/** Pushes `count` messages at `at` (a time, or one per message). */
function pushMany(into: MessageBuffer, count: number, at: number | ((i: number) => number) = 0) {
  return Array.from({ length: count }, (_, i) => {
    const seq = into.lastSeq + 1;
    return into.push('c', undefined, payload(seq), typeof at === 'number' ? at : at(i));
  });
}

const seqs = (messages: readonly HeardMessage[]) => messages.map((m) => m.seq);

describe('MessageBuffer', () => {
  it('records what it hears: consecutive seqs, bytes, time, and the identity of its bytes', () => {
    const b = buffer();
    expect(b.lastSeq).toBe(-1);
    expect(b.size).toBe(0);
    b.push('orders', 'ord*', encoder.encode('abc'), 42);
    b.push('orders', undefined, encoder.encode('abd'), 43);
    const held = b.held();
    expect(seqs(held)).toEqual([0, 1]);
    expect(held[0]).toMatchObject({ channel: 'orders', pattern: 'ord*', receivedAt: 42 });
    expect(held[0]?.hash).toBe(messageHash('orders', encoder.encode('abc')));
    expect(held[1]?.hash).not.toBe(held[0]?.hash);
    expect(b.lastSeq).toBe(1);
    expect(b.bytes).toBe(2 * (3 + 'orders'.length + 96));
  });

  it('gives one message one identity, whatever process hears it, and tells channels apart', () => {
    const bytes = encoder.encode('{"id":1}');
    expect(messageHash('a', bytes)).toBe(messageHash('a', Uint8Array.from(bytes)));
    expect(messageHash('a', bytes)).not.toBe(messageHash('b', bytes));
    expect(messageHash('a', bytes)).not.toBe(messageHash('a', encoder.encode('{"id":2}')));
  });

  // A standby learns from the leader's checkpoints what is in the log (appendedThrough);
  // what it does not know to be there it keeps, as a leader keeps what it has not appended.
  describe('as a standby', () => {
    it('lets messages known to be in the log go once older than keepMs (exactly keepMs stays)', () => {
      const b = buffer({ keepMs: 100 });
      for (const t of [0, 50, 100]) b.push('c', undefined, payload(t), t);
      b.appendedThrough(2);
      expect(seqs(b.held())).toEqual([0, 1, 2]);
      b.push('c', undefined, payload(150), 150);
      b.appendedThrough(3);
      b.trim(150);
      expect(seqs(b.held())).toEqual([1, 2, 3]);
      expect(b.trim(200)).toEqual({ dropped: 0, full: false });
      expect(seqs(b.held())).toEqual([2, 3]);
      b.trim(1000);
      expect(b.size).toBe(0);
      expect(b.bytes).toBe(0);
      // The count of messages heard goes on.
      expect(b.lastSeq).toBe(3);
    });

    it('keeps messages not known to be in the log past keepMs', () => {
      const b = buffer({ keepMs: 100 });
      pushMany(b, 4, 0);
      b.appendedThrough(1);
      expect(b.trim(10_000)).toEqual({ dropped: 0, full: false });
      expect(seqs(b.held())).toEqual([2, 3]);
      expect(b.unappended).toBe(2);
      expect(b.firstUnappendedIndex).toBe(0);
    });

    it('lets messages known to be in the log go beyond bufferBytes, however young, uncounted', () => {
      const b = buffer({ bufferBytes: 3.5 * MESSAGE_BYTES, whenFull: 'crash' });
      pushMany(b, 3);
      expect(b.bytes).toBe(3 * MESSAGE_BYTES);
      b.appendedThrough(2);
      expect(pushMany(b, 2)).toEqual([
        { dropped: 0, full: false },
        { dropped: 0, full: false },
      ]);
      expect(seqs(b.held())).toEqual([2, 3, 4]);
      expect(b.bytes).toBe(3 * MESSAGE_BYTES);
    });

    it("'drop-oldest' beyond bufferBytes drops and counts what is not known to be in the log", () => {
      const b = buffer({ bufferBytes: 3.5 * MESSAGE_BYTES });
      pushMany(b, 3);
      expect(pushMany(b, 2)).toEqual([
        { dropped: 1, full: false },
        { dropped: 1, full: false },
      ]);
      expect(seqs(b.held())).toEqual([2, 3, 4]);
      expect(b.unappended).toBe(3);
    });

    it.each<FullBufferPolicy>(['block', 'crash'])(
      "'%s' beyond bufferBytes is full while messages are not known to be in the log",
      (whenFull) => {
        const b = buffer({ bufferBytes: 3.5 * MESSAGE_BYTES, whenFull });
        pushMany(b, 3);
        expect(pushMany(b, 1)).toEqual([{ dropped: 0, full: true }]);
        expect(seqs(b.held())).toEqual([0, 1, 2, 3]);
        // The leader's checkpoint shows them in the log: room again.
        b.appendedThrough(3);
        expect(b.trim(0)).toEqual({ dropped: 0, full: false });
        expect(seqs(b.held())).toEqual([1, 2, 3]);
      },
    );

    it('offers nothing to append, however much is not known to be in the log', () => {
      const b = buffer();
      pushMany(b, 3);
      expect(b.nextBatch(10)).toEqual([]);
      expect(b.unappended).toBe(3);
      b.appendedThrough(0);
      expect(b.nextBatch(10)).toEqual([]);
      expect(b.unappended).toBe(2);
    });

    it('says where in held() the messages not known to be in the log begin', () => {
      const b = buffer({ keepMs: 100 });
      expect(b.firstUnappendedIndex).toBe(0);
      pushMany(b, 5, 0);
      expect(b.firstUnappendedIndex).toBe(0);
      b.appendedThrough(2);
      expect(b.firstUnappendedIndex).toBe(3);
      expect(b.held()[b.firstUnappendedIndex]?.seq).toBe(3);
      // Once those in the log have gone, the first held is the first unknown.
      b.trim(1000);
      expect(seqs(b.held())).toEqual([3, 4]);
      expect(b.firstUnappendedIndex).toBe(0);
      b.appendedThrough(4);
      expect(b.firstUnappendedIndex).toBe(2);
    });
  });

  describe('as the leader', () => {
    it('keeps unappended messages past keepMs, and lets them go once appended', () => {
      const b = buffer({ keepMs: 100 });
      b.lead(-1);
      pushMany(b, 3, 0);
      expect(b.trim(10_000)).toEqual({ dropped: 0, full: false });
      expect(seqs(b.held())).toEqual([0, 1, 2]);
      expect(b.unappended).toBe(3);
      b.appendedThrough(1);
      b.trim(10_000);
      expect(seqs(b.held())).toEqual([2]);
      expect(b.unappended).toBe(1);
    });

    it('keeps appended messages for keepMs, for a successor to compare with', () => {
      const b = buffer({ keepMs: 100 });
      b.lead(-1);
      pushMany(b, 3, 0);
      b.appendedThrough(2);
      b.trim(100);
      expect(seqs(b.held())).toEqual([0, 1, 2]);
      expect(b.unappended).toBe(0);
      b.trim(101);
      expect(b.size).toBe(0);
    });

    it('hands out batches of what is not appended, oldest first, and moves on', () => {
      const b = buffer();
      b.lead(-1);
      pushMany(b, 5);
      expect(seqs(b.nextBatch(2))).toEqual([0, 1]);
      // Asking again without an append gives the same batch (a retry sends the same events).
      expect(seqs(b.nextBatch(2))).toEqual([0, 1]);
      b.appendedThrough(1);
      expect(b.unappended).toBe(3);
      expect(seqs(b.nextBatch(10))).toEqual([2, 3, 4]);
      // An older append reported late does not move the cursor back.
      b.appendedThrough(0);
      expect(seqs(b.nextBatch(10))).toEqual([2, 3, 4]);
      b.appendedThrough(4);
      expect(b.nextBatch(10)).toEqual([]);
      expect(b.unappended).toBe(0);
      pushMany(b, 1);
      expect(seqs(b.nextBatch(10))).toEqual([5]);
      expect(b.nextBatch(10)[0]?.bytes).toEqual(payload(5));
    });

    it('at the bound, lets appended messages go before any unappended one', () => {
      const b = buffer({ bufferBytes: 3.5 * MESSAGE_BYTES });
      b.lead(-1);
      pushMany(b, 3);
      b.appendedThrough(1);
      expect(pushMany(b, 2)).toEqual([
        { dropped: 0, full: false },
        { dropped: 0, full: false },
      ]);
      expect(seqs(b.held())).toEqual([2, 3, 4]);
      expect(b.unappended).toBe(3);
    });

    it("'drop-oldest' at the bound drops the oldest unappended, counts them and moves on", () => {
      const b = buffer({ bufferBytes: 3.5 * MESSAGE_BYTES, whenFull: 'drop-oldest' });
      b.lead(-1);
      expect(pushMany(b, 3).every((r) => r.dropped === 0 && !r.full)).toBe(true);
      expect(pushMany(b, 1)).toEqual([{ dropped: 1, full: false }]);
      expect(pushMany(b, 1)).toEqual([{ dropped: 1, full: false }]);
      expect(seqs(b.held())).toEqual([2, 3, 4]);
      expect(b.unappended).toBe(3);
      expect(seqs(b.nextBatch(10))).toEqual([2, 3, 4]);
      expect(b.bytes).toBeLessThanOrEqual(3.5 * MESSAGE_BYTES);
    });

    it("'drop-oldest' counts every message one large push drops", () => {
      const b = buffer({ bufferBytes: 3.5 * MESSAGE_BYTES, whenFull: 'drop-oldest' });
      b.lead(-1);
      pushMany(b, 3);
      const result = b.push('c', undefined, new Uint8Array(2 * MESSAGE_BYTES), 0);
      // 3 x 100 + 297 bytes: all three older ones go before it fits.
      expect(result).toEqual({ dropped: 3, full: false });
      expect(seqs(b.held())).toEqual([3]);
      expect(seqs(b.nextBatch(10))).toEqual([3]);
    });

    it.each<FullBufferPolicy>(['block', 'crash'])(
      "'%s' at the bound says it is full and keeps every unappended message",
      (whenFull) => {
        const b = buffer({ bufferBytes: 3.5 * MESSAGE_BYTES, keepMs: 10, whenFull });
        b.lead(-1);
        expect(pushMany(b, 3).every((r) => !r.full)).toBe(true);
        expect(pushMany(b, 2, 1000)).toEqual([
          { dropped: 0, full: true },
          { dropped: 0, full: true },
        ]);
        expect(b.trim(5000)).toEqual({ dropped: 0, full: true });
        expect(seqs(b.held())).toEqual([0, 1, 2, 3, 4]);
        expect(b.bytes).toBe(5 * MESSAGE_BYTES);
        expect(b.unappended).toBe(5);
        expect(seqs(b.nextBatch(10))).toEqual([0, 1, 2, 3, 4]);
        // Once the log takes them, the buffer is within bounds again.
        b.appendedThrough(4);
        expect(b.trim(5000)).toEqual({ dropped: 0, full: false });
        expect(b.bytes).toBeLessThanOrEqual(3.5 * MESSAGE_BYTES);
      },
    );

    it('reports full again as soon as appended room is used up', () => {
      const b = buffer({ bufferBytes: 3.5 * MESSAGE_BYTES, whenFull: 'block' });
      b.lead(-1);
      pushMany(b, 3);
      b.appendedThrough(0);
      // Room for one more: the appended seq 0 goes, then seq 1 (unappended) is the oldest.
      expect(pushMany(b, 1)).toEqual([{ dropped: 0, full: false }]);
      expect(seqs(b.held())).toEqual([1, 2, 3]);
      expect(pushMany(b, 1)).toEqual([{ dropped: 0, full: true }]);
      expect(seqs(b.held())).toEqual([1, 2, 3, 4]);
    });
  });

  describe('changing role', () => {
    it('lead(afterSeq) makes every message after afterSeq unappended', () => {
      const b = buffer();
      pushMany(b, 5);
      b.lead(2);
      expect(b.unappended).toBe(2);
      expect(seqs(b.nextBatch(10))).toEqual([3, 4]);
    });

    it('lead(lastSeq) leaves nothing to append; lead(-1) all that is held', () => {
      const b = buffer({ bufferBytes: 3.5 * MESSAGE_BYTES });
      pushMany(b, 6);
      expect(seqs(b.held())).toEqual([3, 4, 5]);
      b.lead(b.lastSeq);
      expect(b.unappended).toBe(0);
      expect(b.nextBatch(10)).toEqual([]);
      b.lead(-1);
      expect(b.unappended).toBe(3);
      expect(seqs(b.nextBatch(10))).toEqual([3, 4, 5]);
    });

    it('follow() makes it a standby again: nothing to append, what is not appended is kept', () => {
      const b = buffer({ keepMs: 100 });
      b.lead(-1);
      pushMany(b, 3, 0);
      b.appendedThrough(0);
      b.follow();
      expect(b.nextBatch(10)).toEqual([]);
      b.trim(1000);
      expect(seqs(b.held())).toEqual([1, 2]);
      expect(b.unappended).toBe(2);
      // What the new leader's checkpoint shows goes after keepMs, as before.
      b.appendedThrough(2);
      b.trim(1000);
      expect(b.size).toBe(0);
    });

    it('a leader that follows and leads again resumes where it is told', () => {
      const b = buffer();
      b.lead(-1);
      pushMany(b, 4);
      b.appendedThrough(1);
      b.follow();
      pushMany(b, 2);
      b.lead(3);
      expect(seqs(b.nextBatch(10))).toEqual([4, 5]);
    });
  });

  describe('over thousands of messages (the array is compacted as it goes)', () => {
    it('a standby following the log holds exactly the last keepMs of them', () => {
      const keepMs = 50;
      const b = buffer({ keepMs });
      for (let t = 0; t < 3500; t += 1) {
        b.push('c', undefined, payload(t), t);
        // The leader's checkpoints, read a little behind.
        b.appendedThrough(t - 10);
        const first = Math.max(0, t - keepMs);
        const held = b.held();
        expect(held.length).toBe(t - first + 1);
        expect(held[0]?.seq).toBe(first);
        expect(held.at(-1)?.seq).toBe(t);
        expect(b.bytes).toBe(held.length * MESSAGE_BYTES);
      }
      // Every entry is the one pushed with that seq, in order.
      const held = b.held();
      held.forEach((m, i) => {
        expect(m.seq).toBe(3500 - held.length + i);
        expect(m.receivedAt).toBe(m.seq);
        expect(m.bytes).toEqual(payload(m.seq));
      });
      expect(b.lastSeq).toBe(3499);
    });

    it('a leader appending in batches hands out every message once, in order', () => {
      const b = buffer({ bufferBytes: 40 * MESSAGE_BYTES, keepMs: 5, whenFull: 'drop-oldest' });
      b.lead(-1);
      const appended: number[] = [];
      let dropped = 0;
      for (let t = 0; t < 4000; t += 1) {
        dropped += b.push('c', undefined, payload(t), t).dropped;
        if (t % 7 === 6) {
          const batch = b.nextBatch(5);
          for (const m of batch) {
            expect(m.bytes).toEqual(payload(m.seq));
            appended.push(m.seq);
          }
          const last = batch.at(-1);
          if (last !== undefined) b.appendedThrough(last.seq);
          b.trim(t);
        }
        const held = b.held();
        // Held: consecutive seqs ending with the newest.
        expect(held.at(-1)?.seq).toBe(t);
        expect(held.length).toBe(t - (held[0]?.seq ?? 0) + 1);
      }
      // 5 appended per 7 heard: the buffer fills and the oldest are dropped, never handed out twice.
      expect(dropped).toBeGreaterThan(0);
      expect(new Set(appended).size).toBe(appended.length);
      expect(appended).toEqual([...appended].sort((x, y) => x - y));
      expect(appended.length + dropped + b.unappended).toBe(4000);
    });
  });
});
