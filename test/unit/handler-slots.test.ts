import { describe, expect, it } from 'vitest';
import { HandlerSlots } from '../../src/core/consumer/handler-slots.js';

describe('handler slots', () => {
  it('grants up to its size, then hands released slots to waiters in arrival order', async () => {
    const slots = new HandlerSlots(2);
    const never = new AbortController().signal;
    expect(await slots.acquire(never)).toBe(true);
    expect(await slots.acquire(never)).toBe(true);
    const order: string[] = [];
    const first = slots.acquire(never).then((ok) => order.push(`first ${ok}`));
    const second = slots.acquire(never).then((ok) => order.push(`second ${ok}`));
    await Promise.resolve();
    expect(order).toEqual([]);
    slots.release();
    await first;
    expect(order).toEqual(['first true']);
    slots.release();
    await second;
    expect(order).toEqual(['first true', 'second true']);
  });

  it('gives up without a slot when the signal aborts, and the slot goes to the next waiter', async () => {
    const slots = new HandlerSlots(1);
    const never = new AbortController().signal;
    await slots.acquire(never);
    const stop = new AbortController();
    const abandoned = slots.acquire(stop.signal);
    const next = slots.acquire(never);
    stop.abort();
    expect(await abandoned).toBe(false);
    slots.release();
    expect(await next).toBe(true);
    expect(await slots.acquire(AbortSignal.abort())).toBe(false);
  });
});
