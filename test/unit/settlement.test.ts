/**
 * A hosted delivery's settlement (src/server/gateway/settlement.ts): the
 * library waits on it as on a promise, so it must behave like one where the
 * library can tell: callbacks on a later microtask, once, in settling order.
 */
import { describe, expect, it } from 'vitest';
import { Settlement } from '../../src/server/gateway/settlement.js';

function waiter<T>(settlement: Settlement<T>, log: string[], name: string): void {
  settlement.then(
    (value) => log.push(`${name} ok ${String(value)}`),
    (error: unknown) => log.push(`${name} failed ${(error as Error).message}`),
  );
}

describe('a settlement', () => {
  it('calls back on a later microtask, once, whatever settles it after', async () => {
    const log: string[] = [];
    const a = new Settlement<number>();
    waiter(a, log, 'a');
    a.resolve(1);
    a.resolve(2);
    a.reject(new Error('late'));
    expect(log).toEqual([]);
    await Promise.resolve();
    expect(log).toEqual(['a ok 1']);
  });

  it('keeps what settled it before anyone waited, and rejects as asked', async () => {
    const log: string[] = [];
    const early = new Settlement<string>();
    early.reject(new Error('expired'));
    waiter(early, log, 'early');
    const late = new Settlement<string>();
    waiter(late, log, 'late');
    late.resolve('done');
    expect(log).toEqual([]);
    await new Promise((resolve) => setImmediate(resolve));
    expect(log).toEqual(['early failed expired', 'late ok done']);
  });

  it('calls back the settlements of one turn in the order they settled', async () => {
    const log: string[] = [];
    const all = Array.from({ length: 5 }, () => new Settlement<number>());
    all.forEach((s, i) => waiter(s, log, `s${i}`));
    for (const i of [3, 0, 4, 1, 2]) all[i]?.resolve(i);
    await Promise.resolve();
    expect(log).toEqual(['s3 ok 3', 's0 ok 0', 's4 ok 4', 's1 ok 1', 's2 ok 2']);
  });
});
