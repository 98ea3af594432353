import { describe, expect, it } from 'vitest';
import { HandlerSlots } from '../../src/core/consumer/handler-slots.js';

describe('handler slots', () => {
  it('grants up to its size, then hands released slots to waiters in the order they asked', () => {
    const slots = new HandlerSlots(2);
    expect(slots.tryAcquire()).toBe(true);
    expect(slots.tryAcquire()).toBe(true);
    expect(slots.tryAcquire()).toBe(false);
    const order: string[] = [];
    slots.whenFree(() => order.push('first'));
    slots.whenFree(() => order.push('second'));
    slots.release();
    expect(order).toEqual(['first']);
    slots.release();
    expect(order).toEqual(['first', 'second']);
    // Both released slots went to the waiters: none is free.
    expect(slots.tryAcquire()).toBe(false);
  });

  it('skips a cancelled request, and frees the slot when nobody waits', () => {
    const slots = new HandlerSlots(1);
    slots.tryAcquire();
    const heard: string[] = [];
    const cancel = slots.whenFree(() => heard.push('cancelled'));
    slots.whenFree(() => heard.push('kept'));
    cancel();
    slots.release();
    expect(heard).toEqual(['kept']);
    slots.release();
    expect(slots.tryAcquire()).toBe(true);
  });
});
